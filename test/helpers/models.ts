/** Models built directly (bypassing model.json) for kernel tests. */
import { compileModel } from "../../src/emit/compile.js";
import { initialParams } from "../../src/model/params.js";
import type { Activation, Model, NamedActivation } from "../../src/model/types.js";
import { loadKernelModule, type KernelModule } from "../../src/runtime/kernel-module.js";
import { Rng } from "../../src/util/random.js";

export const named = (name: NamedActivation): Activation => ({ kind: "named", name });

export function mlpModel(opts: { d: number; D: number; hidden: number[]; activation: Activation; torus?: boolean; seed?: number }): Model {
  return {
    name: "test-mlp",
    latentDim: opts.d,
    outputDim: opts.D,
    decoder: {
      type: "mlp",
      inputDim: opts.d,
      torusEmbedding: opts.torus ?? false,
      layers: [...opts.hidden.map((units) => ({ units, activation: opts.activation })), { units: opts.D, activation: named("linear") }],
    },
    decoderWeights: { kind: "seed", seed: opts.seed ?? 1 },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 2 },
    sourceHash: "test",
  };
}

export function analyticModel(variables: string[], formulas: string[], constants: Record<string, number> = {}): Model {
  return {
    name: "test-analytic",
    latentDim: variables.length,
    outputDim: formulas.length,
    decoder: { type: "analytic", variables, constants, formulas },
    decoderWeights: { kind: "seed", seed: 0 },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 0 },
    sourceHash: "test",
  };
}

export function paramsOf(model: Model): Float64Array {
  return model.decoder.type === "mlp" ? initialParams(model.decoder, model.decoderWeights) : new Float64Array(0);
}

export async function compiled(model: Model): Promise<KernelModule> {
  return loadKernelModule(compileModel(model, ["a", "b"]).files.get("kernels.ts")!);
}

/** n seeded points uniform in [lo, hi]^d. */
export function points(d: number, n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n * d }, () => lo + (hi - lo) * rng.uniform());
}

export const ALL_ACTIVATIONS: Activation[] = [
  named("tanh"),
  named("sin"),
  named("cos"),
  named("softplus"),
  named("sigmoid"),
  named("silu"),
  named("gelu"),
  { kind: "formula", formula: "x^3/3 + x" },
  { kind: "formula", formula: "log(1+exp(x))" },
];
