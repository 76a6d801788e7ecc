/**
 * ricci-gen's programmatic API (`import { … } from "ricci-gen"`): the four things the CLI does most,
 * as functions. The compiler and tfjs load on first use, not when this module is imported.
 *
 *     import { loadModel, compile, curvature, trainFromConfig, evaluateRun } from "ricci-gen";
 *
 *     const model = loadModel("examples/sphere.model.json");
 *     const { files } = await compile(model);                        // kernels.ts, kernels.tfjs.ts, wgsl/…, manifest.json
 *     const points = await curvature(model, [[0.3, 0.1], [-0.7, 2]]); // g, det g, R (route b) per point
 *     const { runDir, summary } = await trainFromConfig({ name: "roll", model: "examples/swiss-roll.model.json",
 *       dataset: { kind: "swiss-roll", n: 2000 }, loss: { curv: 0.1 }, epochs: 5 }, { baseDir: process.cwd() });
 *     const { evaluation } = await evaluateRun(runDir);              // the metrics of eval.json
 *
 * Bad input throws a `UserError` (its `where` names the field); a training fault throws a
 * `TrainingFailure` (the last good checkpoint is kept).
 */
import { resolve } from "node:path";
import type { Route } from "./ir/kernels.js";
import type { Model } from "./model/types.js";

export { UserError, isUserError } from "./util/errors.js";
export { loadModel } from "./model/load.js";
export { EXIT } from "./cli/exit-codes.js";
export type { Model } from "./model/types.js";
export type { Route } from "./ir/kernels.js";
export type { CurvaturePoint } from "./cli/curvature.js";
export type { CompileResult, Manifest } from "./emit/compile.js";
export type { TrainConfig, RawTrainConfig } from "./runtime/train/config.js";
export type { Summary, TrainOptions } from "./runtime/train/trainer.js";
export type { EvaluatedRun } from "./runtime/run-eval/index.js";

/** Parse and validate a model given as an object (what model.json holds). Relative weight files resolve against `baseDir`. */
export async function parseModelObject(raw: unknown, baseDir = process.cwd()): Promise<Model> {
  const { parseModel } = await import("./model/schema.js");
  return parseModel(raw, { baseDir: resolve(baseDir), sourceText: "" });
}

/** Derive and emit a model's kernels (the files `ricci-gen compile` writes, not written here). */
export async function compile(model: Model, routes: Route[] = ["a", "b"]): Promise<import("./emit/compile.js").CompileResult> {
  const { compileModel } = await import("./emit/compile.js");
  return compileModel(model, routes);
}

/**
 * g, det g and R at latent points (each of length d), by route "a" (intrinsic), "b" (Gauss
 * equation) or both; degenerate points (det g = 0) are marked and their R is null. `params` are the
 * decoder parameters (default: the model's initial weights; see model/params.ts for the layout).
 */
export async function curvature(
  model: Model,
  points: readonly (readonly number[])[],
  opts: { routes?: Route[]; params?: Float64Array; christoffelAndRicci?: boolean } = {},
): Promise<import("./cli/curvature.js").CurvaturePoint[]> {
  const [{ curvatureAt }, { decoderParams }, { UserError }] = await Promise.all([
    import("./cli/curvature.js"),
    import("./cli/compile.js"),
    import("./util/errors.js"),
  ]);
  const d = model.latentDim;
  const flat = new Float64Array(points.length * d);
  points.forEach((p, i) => {
    if (p.length !== d || !p.every(Number.isFinite))
      throw new UserError(`points[${i}]`, `expected ${d} finite numbers, got ${JSON.stringify(p)}`);
    flat.set(p, i * d);
  });
  return curvatureAt(
    model,
    opts.params ?? decoderParams(model),
    flat,
    points.length,
    opts.routes ?? ["b"],
    opts.christoffelAndRicci === true,
  );
}

/** The decoder of a trained run (runs/<name>): its model and checkpoint parameters, for `curvature(model, points, { params })`. */
export async function loadRunDecoder(runDir: string): Promise<import("./cli/run-weights.js").RunDecoder> {
  const { loadRunDecoder: load } = await import("./cli/run-weights.js");
  return load(runDir);
}

/**
 * Train from a config object (the content of a *.train.json; relative paths resolve against
 * `baseDir`). Writes runs/<name>/ like `ricci-gen train` and resolves with its summary.
 */
export async function trainFromConfig(
  config: Record<string, unknown>,
  opts: { baseDir?: string } & import("./runtime/train/trainer.js").TrainOptions = {},
): Promise<{ runDir: string; summary: import("./runtime/train/trainer.js").Summary }> {
  const [{ parseTrainConfig }, { train }] = await Promise.all([import("./runtime/train/config.js"), import("./runtime/train/trainer.js")]);
  const { baseDir = process.cwd(), ...trainOptions } = opts;
  return train(parseTrainConfig(config, { baseDir: resolve(baseDir) }), { progress: false, ...trainOptions });
}

/** Evaluate a trained run folder: writes runs/<name>/eval.json (+ latent codes) and resolves with the evaluation. */
export async function evaluateRun(
  runDir: string,
  opts: { backend?: "cpu" | "wasm" } = {},
): Promise<import("./runtime/run-eval/index.js").EvaluatedRun> {
  const { evaluateRunFolder } = await import("./runtime/run-eval/index.js");
  return evaluateRunFolder(runDir, opts);
}

/** Run a `ricci-gen` command line in this process (e.g. `["node", "ricci-gen", "check", "model.json"]`) and resolve with its exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const { runCli: run } = await import("./cli/main.js");
  return run(argv);
}
