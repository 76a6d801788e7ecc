/** The ONNX curvature graphs (tensor plan → ONNX → ONNX Runtime, float32) against the float64 TypeScript kernels. */
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { curvaturePlan } from "../src/plan/curvature.js";
import { emitOnnx } from "../src/emit/onnx.js";
import { ALL_ACTIVATIONS, compiled, mlpModel, paramsOf, points } from "./helpers/models.js";
import type { Model } from "../src/model/types.js";
import type { Route } from "../src/ir/kernels.js";

async function onnxCurvature(model: Model, route: Route, params: Float64Array, z: Float64Array, n: number) {
  const g = curvaturePlan(model, route);
  const bytes = emitOnnx(g.plan, { name: "curvature", docString: g.description, outputs: g.outputs });
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor("float32", Float32Array.from(z), [n, model.latentDim]) };
  if (params.length) feeds["params"] = new ort.Tensor("float32", Float32Array.from(params), [params.length]);
  const out = await session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/**
 * float32 against float64: det g to 1e-4 relative; R, a cancelling sum of products of third
 * derivatives (route A), to 2e-3 of the batch's largest |R|, at points whose det g is not tiny.
 */
function expectClose(got: Record<string, Float32Array>, ref: Record<string, Float64Array>, n: number): void {
  const rScale = Math.max(...ref["R"]!.map(Math.abs)) + 1e-6;
  const maxDet = Math.max(...ref["detg"]!);
  let compared = 0;
  for (let i = 0; i < n; i++) {
    // Near-degenerate metrics (det g below 1e-3 of the batch's largest) cost float32 its digits of R.
    if (ref["detg"]![i]! < 1e-3 * maxDet) continue;
    compared++;
    expect(Math.abs(got["R"]![i]! - ref["R"]![i]!) / rScale).toBeLessThan(2e-3);
    expect(Math.abs(got["detg"]![i]! - ref["detg"]![i]!) / Math.abs(ref["detg"]![i]!)).toBeLessThan(1e-4);
  }
  expect(compared).toBeGreaterThanOrEqual(Math.min(n, 3));
}

describe("ONNX curvature graphs vs float64 kernels", () => {
  it("torus latent (sin), d = 2, and d = 3 (tanh), both routes", async () => {
    for (const model of [
      mlpModel({ d: 2, D: 5, hidden: [7, 6], activation: { kind: "named", name: "sin" }, torus: true }),
      mlpModel({ d: 3, D: 5, hidden: [6], activation: { kind: "named", name: "tanh" } }),
    ]) {
      const n = 5;
      const z = points(model.latentDim, n, 3, -2, 2);
      const params = paramsOf(model);
      const kernels = (await compiled(model)).kernels;
      for (const route of ["a", "b"] as const) {
        const ref = kernels[route === "a" ? "scalarCurvatureA" : "scalarCurvatureB"]!(params, z, n);
        expectClose(await onnxCurvature(model, route, params, z, n), ref, n);
      }
    }
  });

  for (const route of ["a", "b"] as const)
    for (const act of ALL_ACTIVATIONS) {
      it(`${JSON.stringify(act)}, route ${route}, d = 2`, async () => {
        const model = mlpModel({ d: 2, D: 4, hidden: [6, 5], activation: act });
        const n = 7;
        const z = points(model.latentDim, n, 1);
        const params = paramsOf(model);
        const ref = (await compiled(model)).kernels[route === "a" ? "scalarCurvatureA" : "scalarCurvatureB"]!(params, z, n);
        const got = await onnxCurvature(model, route, params, z, n);
        expectClose(got, ref, n);
      });
    }
});

describe("the exported decoder graph", () => {
  it("gives Ψ, J and g as the float64 kernels do", async () => {
    const { decoderOnnx } = await import("../src/emit/onnx-decoder.js");
    const model = mlpModel({ d: 2, D: 4, hidden: [6], activation: { kind: "named", name: "softplus" }, torus: true });
    const params = paramsOf(model);
    const n = 4;
    const z = points(2, n, 9, -3, 3);
    const session = await ort.InferenceSession.create(decoderOnnx(model, params, { withMetric: true }));
    const out = await session.run({ z: new ort.Tensor("float32", Float32Array.from(z), [n, 2]) });
    const k = (await compiled(model)).kernels;
    const want = { x: k["psi"]!(params, z, n)["psi"]!, J: k["jacobian"]!(params, z, n)["jacobian"]!, g: k["metric"]!(params, z, n)["g"]! };
    for (const [name, ref] of Object.entries(want)) {
      const got = out[name]!.data as Float32Array;
      expect(got.length).toBe(ref.length);
      ref.forEach((v, i) => expect(Math.abs(got[i]! - v), `${name}[${i}]`).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    }
  });
});
