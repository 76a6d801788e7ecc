/** The float32-array Adam of the onnx engine gives the same bits as the tfjs Adam it mirrors. */
import * as tf from "@tensorflow/tfjs";
import { expect, it } from "vitest";
import { Adam, adamUpdateF32 } from "../src/runtime/train/adam.js";
import { Rng } from "../src/util/random.js";

it("adamUpdateF32 = Adam.apply bit for bit over 20 steps, with and without gradient reversal", async () => {
  await tf.setBackend("cpu");
  const rng = new Rng(3);
  const n = 257;
  const options = { lr: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  for (const sign of [1, -1] as const) {
    const start = Float32Array.from({ length: n }, () => rng.normal());
    const variable = tf.variable(tf.tensor1d(start));
    const adam = new Adam(options);
    const theta = Float32Array.from(start);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    for (let t = 1; t <= 20; t++) {
      const g = Float32Array.from({ length: n }, () => rng.normal() * 10 ** rng.int(4));
      tf.tidy(() => adam.apply(new Map([["p", variable]]), new Map([["p", sign > 0 ? tf.tensor1d(g) : tf.neg(tf.tensor1d(g))]])));
      adamUpdateF32(options, t, theta, g, m, v, sign);
    }
    expect(Array.from(variable.dataSync())).toEqual(Array.from(theta));
    expect(Array.from(adam.state().slots["p"]!.v)).toEqual(Array.from(v));
    variable.dispose();
    adam.dispose();
  }
});
