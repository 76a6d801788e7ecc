/**
 * The training-step plan's compile-time reverse mode against central finite differences of its own
 * float64 forward loss (plan/interpret.ts), for every functional and extra term; and the printed
 * ONNX graph (float32, ONNX Runtime) against the float64 interpreter on every output.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { emitOnnx } from "../src/emit/onnx.js";
import { initialParams } from "../src/model/params.js";
import { interpretPlan } from "../src/plan/interpret.js";
import { HYPER_INPUTS, stepPlan, type StepSpec } from "../src/plan/step.js";
import { parseActivation, potentialInitialParams, potentialModel } from "../src/runtime/train/potential.js";
import { Rng } from "../src/util/random.js";
import type { Model } from "../src/model/types.js";

function aeModel(torus: boolean): Model {
  return {
    name: "fd",
    latentDim: 2,
    outputDim: 3,
    decoder: {
      type: "mlp",
      inputDim: 2,
      torusEmbedding: torus,
      layers: [
        { units: 5, activation: { kind: "named", name: "tanh" } },
        { units: 3, activation: { kind: "named", name: "linear" } },
      ],
    },
    decoderWeights: { kind: "seed", seed: 4 },
    encoder: {
      inputDim: 3,
      torusEmbedding: false,
      layers: [
        { units: 4, activation: { kind: "named", name: "sin" } },
        { units: 2, activation: { kind: "named", name: "linear" } },
      ],
    },
    encoderWeights: { kind: "seed", seed: 5 },
    sourceHash: "fd",
  };
}

const base = (model: Model, over: Partial<StepSpec>): StepSpec => ({
  model,
  torus: model.decoder.type === "mlp" && model.decoder.torusEmbedding,
  curvature: true,
  route: "b",
  functional: "R2",
  measure: "batch",
  potential: null,
  learnTau: false,
  uniformityMoments: null,
  contractive: null,
  decoderContractive: null,
  isometry: false,
  volume: false,
  conformality: false,
  anchor: false,
  ...over,
});

const n = 6;
const m = 5;

function feeds(spec: StepSpec): Record<string, Float64Array> {
  const rng = new Rng(11);
  const model = spec.model;
  const f: Record<string, Float64Array> = {
    x: Float64Array.from({ length: n * model.outputDim }, () => rng.normal()),
    encoder: initialParams(model.encoder!, model.encoderWeights),
    decoder: model.decoder.type === "mlp" ? initialParams(model.decoder, model.decoderWeights) : new Float64Array(0),
    points: Float64Array.from({ length: m * 2 }, () => rng.uniform() * 2 - 1),
    mixAlpha: Float64Array.from({ length: n }, () => rng.uniform() * 1.4 - 0.2),
    mixPartner: Float64Array.from([3, 0, 5, 1, 2, 4]),
    logTau: Float64Array.of(0.2),
    anchor: Float64Array.from({ length: n * 2 }, () => rng.normal()),
  };
  if (spec.potential) f["potential"] = potentialInitialParams(spec.potential).map((v) => v + 0.1 * rng.normal());
  const hyper: Record<string, number> = {
    lambdaRecon: 1,
    lambdaCurvSigned: 0.3,
    lambdaUniformity: 0.7,
    lambdaContractive: 0.5,
    contractiveDelta: 0.2,
    lambdaDecoderContractive: 0.4,
    decoderContractiveDelta: 0.1,
    lambdaIsometry: 0.6,
    lambdaVolume: 0.8,
    lambdaConformality: 0.9,
    lambdaAnchor: 0.35,
    detEpsilon: 1e-9,
    inverseMetricEpsilon: 0.05,
    measureWeight: 1 / n,
    invBatch: 1 / n,
    logTauFixed: 0.1,
  };
  for (const h of HYPER_INPUTS) f[h] = Float64Array.of(hyper[h]!);
  return f;
}

const potential = potentialModel({ latentDim: 2, torus: false, hidden: [4], activation: parseActivation("tanh", "t"), seed: 3 });

const CASES: [string, StepSpec][] = [
  ["∫R², route B", base(aeModel(false), {})],
  ["∫R², route A, measure points", base(aeModel(false), { route: "a", measure: "points" })],
  ["F", base(aeModel(false), { functional: "F", potential })],
  ["W, learned τ", base(aeModel(false), { functional: "W", potential, learnTau: true })],
  ["contractive max, decoder-contractive mean", base(aeModel(false), { contractive: "max", decoderContractive: "mean" })],
  ["isometry, volume, conformality", base(aeModel(false), { curvature: false, isometry: true, volume: true, conformality: true })],
  ["torus latent, uniformity, chart terms", base(aeModel(true), { uniformityMoments: 3, isometry: true, conformality: true })],
  ["isomap anchor with ∫R²", base(aeModel(false), { anchor: true })],
];

describe("step plan gradient vs central finite differences (float64)", () => {
  for (const [title, spec] of CASES)
    it(title, () => {
      const g = stepPlan(spec);
      const input = feeds(spec);
      const lossIndex = g.partNames.indexOf("loss");
      const lossNode = g.outputs[0]!.node;
      const held = new Map();
      interpretPlan(g.plan, [lossNode], input, { n, m }, held);
      const loss = (inp: Record<string, Float64Array>): number =>
        interpretPlan(g.plan, [lossNode], inp, { n, m }, held)[0]!.data[lossIndex]!;
      const grads = interpretPlan(
        g.plan,
        g.outputs.slice(1).map((o) => o.node),
        input,
        { n, m },
      );
      const rng = new Rng(2);
      g.paramInputs.forEach((name, k) => {
        const grad = grads[k]!.data;
        for (let trial = 0; trial < 6; trial++) {
          const i = rng.int(grad.length);
          const h = 1e-6;
          const plus = { ...input, [name]: Float64Array.from(input[name]!) };
          const minus = { ...input, [name]: Float64Array.from(input[name]!) };
          plus[name]![i]! += h;
          minus[name]![i]! -= h;
          const fd = (loss(plus) - loss(minus)) / (2 * h);
          expect(Math.abs(fd - grad[i]!), `${name}[${i}]: fd ${fd}, reverse ${grad[i]}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
        }
      });
    });
});

describe("printed ONNX graph (float32) vs the float64 interpreter", () => {
  for (const [title, spec] of CASES.slice(2))
    it(title, async () => {
      const g = stepPlan(spec);
      const input = feeds(spec);
      const ref = interpretPlan(
        g.plan,
        g.outputs.map((o) => o.node),
        input,
        { n, m },
      );
      const session = await ort.InferenceSession.create(emitOnnx(g.plan, { name: "step", docString: "", outputs: g.outputs }), {
        intraOpNumThreads: 1,
      });
      const f: Record<string, ort.Tensor> = {};
      for (const name of session.inputNames) {
        const v = input[name]!;
        const shape =
          name === "x"
            ? [n, 3]
            : name === "points"
              ? [m, 2]
              : name === "mixAlpha"
                ? [n, 1]
                : name === "anchor"
                  ? [n, 2]
                  : HYPER_INPUTS.includes(name as never)
                    ? []
                    : [v.length];
        f[name] =
          name === "mixPartner"
            ? new ort.Tensor(
                "int64",
                BigInt64Array.from(v, (x) => BigInt(x)),
                [n],
              )
            : new ort.Tensor("float32", Float32Array.from(v), shape);
      }
      const out = await session.run(f);
      g.outputs.forEach((o, k) => {
        const got = out[o.name]!.data as Float32Array;
        const want = ref[k]!.data;
        const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
        want.forEach((w, i) => expect(Math.abs(got[i]! - w) / scale, `${o.name}[${i}]`).toBeLessThan(1e-4));
      });
    });
});
