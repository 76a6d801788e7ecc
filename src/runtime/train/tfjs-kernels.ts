/**
 * Emitting and loading the TensorFlow.js kernels the trainer runs: the decoder's (from model.json)
 * and the learnable potential's. The emitted module (emit/tfjs.ts) is transpiled and imported from a
 * data: URL, exactly like the float64 module in runtime/kernel-module.ts, so training runs the
 * generated text itself. That text is also written into the run folder for inspection.
 */
import type * as tfjs from "@tensorflow/tfjs";
import ts from "typescript";
import { curvatureKernelName, decoderProgram, emitTfjs, GENERATOR, modelKernels, type Kernel, type Route } from "../../emit/facade.js";
import type { Model } from "../../model/types.js";

type T = tfjs.Tensor;
type TF = typeof tfjs;
export type Weights = { W: T; b: T }[];

export type TfjsKernelFn = (tf: TF, params: T | Weights, z: T, metricShift?: T) => Record<string, T>;
export type TfjsFromJetsFn = (tf: TF, P: readonly T[], metricShift?: T) => Record<string, T>;

export interface TfjsKernelModule {
  model: { name: string; latentDim: number; outputDim: number; paramCount: number; sourceHash: string };
  layout: readonly (readonly [number, number, number, number])[];
  jetOrders: readonly number[];
  columns: readonly (readonly number[])[];
  kernelFields: Record<string, readonly { name: string; shape: readonly number[] }[]>;
  kernelOrders: Record<string, number>;
  weights: (tf: TF, params: T) => Weights;
  decoderJets: (tf: TF, params: T | Weights, z: T, order: number) => T[];
  kernels: Record<string, TfjsKernelFn>;
  fromJets: Record<string, TfjsFromJetsFn>;
  /** The module's source text. */
  source: string;
}

export async function loadTfjsKernelModule(source: string): Promise<TfjsKernelModule> {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as Record<string, unknown>;
  const kernelFields = mod["kernelFields"] as TfjsKernelModule["kernelFields"];
  const kernels: Record<string, TfjsKernelFn> = {};
  const fromJets: Record<string, TfjsFromJetsFn> = {};
  for (const name of Object.keys(kernelFields)) {
    kernels[name] = mod[name] as TfjsKernelFn;
    fromJets[name] = mod[`${name}FromJets`] as TfjsFromJetsFn;
  }
  return {
    model: mod["model"] as TfjsKernelModule["model"],
    layout: mod["layout"] as TfjsKernelModule["layout"],
    jetOrders: mod["jetOrders"] as number[],
    columns: mod["columns"] as TfjsKernelModule["columns"],
    kernelFields,
    kernelOrders: mod["kernelOrders"] as Record<string, number>,
    weights: mod["weights"] as TfjsKernelModule["weights"],
    decoderJets: mod["decoderJets"] as TfjsKernelModule["decoderJets"],
    kernels,
    fromJets,
    source,
  };
}

/** The kernels the trainer needs from a decoder: Ψ, g/det g, g⁻¹ and R by the chosen route. */
export function trainingKernels(model: Model, route: Route): Kernel[] {
  const wanted = new Set(["psi", "metric", "inverseMetric", curvatureKernelName(route)]);
  return modelKernels(model, [route]).filter((k) => wanted.has(k.name));
}

export function emitTrainingKernels(model: Model, route: Route): string {
  return emitTfjs(trainingKernels(model, route), { name: model.name, sourceHash: model.sourceHash, generator: GENERATOR });
}

/** Jets of order ≤ 1 of a scalar MLP on the latent space (the potential f): value and ∇f. */
export function potentialKernels(potential: Model): Kernel[] {
  const program = decoderProgram(potential, 1);
  return [
    {
      name: "potential",
      description: "potential f and its gradient",
      program,
      output: { kind: "jets", order: 1, field: { name: "gradient", shape: [1, potential.latentDim], description: "∂_i f" } },
    },
  ];
}

export function emitPotentialKernels(potential: Model): string {
  return emitTfjs(potentialKernels(potential), { name: potential.name, sourceHash: potential.sourceHash, generator: GENERATOR });
}
