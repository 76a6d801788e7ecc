/**
 * `ricci-gen check`: the generated float64 kernels against tfjs nested autograd (float32), an
 * oracle that shares no code with the compiler. Prints max/median relative errors per quantity.
 */
import type { Command } from "commander";
import type { Model } from "../model/types.js";
import { Rng } from "../util/random.js";
import { UserError } from "../util/errors.js";
import { decoderParams } from "./compile.js";
import { guarded } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { integerFlag } from "./flags.js";
import { parsePoints } from "./points.js";
import { loadRunDecoder } from "./run-weights.js";

export interface ErrorRow {
  quantity: string;
  max: number;
  median: number;
}

/**
 * Per-point relative error of `got` against `want`, each point a block of `block` numbers:
 * ‖got − want‖∞ / max(‖want‖∞, 10⁻³ · max over points ‖want‖∞), so that values crossing zero
 * are judged against the quantity's scale, not against a tiny denominator.
 */
export function relativeErrors(got: Float64Array, want: Float64Array, block: number): Float64Array {
  const n = want.length / block;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < block; k++) norms[i] = Math.max(norms[i]!, Math.abs(want[i * block + k]!));
  const floor = 1e-3 * Math.max(...norms);
  const errs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let e = 0;
    for (let k = 0; k < block; k++) e = Math.max(e, Math.abs(got[i * block + k]! - want[i * block + k]!));
    errs[i] = e / Math.max(norms[i]!, floor, Number.MIN_VALUE);
  }
  return errs;
}

const median = (xs: Float64Array): number => {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function checkModel(
  model: Model,
  points: Float64Array,
  n: number,
  params: Float64Array = decoderParams(model),
): Promise<ErrorRow[]> {
  // tfjs and the compiler load only when the command runs, to keep CLI startup fast.
  const [tf, { floatKernels }, { installHigherOrderGradients }, { oracleCurvature }] = await Promise.all([
    import("@tensorflow/tfjs"),
    import("./float-kernels.js"),
    import("../runtime/oracle/tfjs-activations.js"),
    import("../runtime/oracle/tfjs-autograd.js"),
  ]);
  await tf.setBackend("cpu");
  installHigherOrderGradients();
  const mod = await floatKernels(model, ["a", "b"], ["jacobian", "metric", "scalarCurvatureA", "scalarCurvatureB"]);
  const oracle = oracleCurvature(model, params, points, n);
  const d = model.latentDim;
  const D = model.outputDim;
  const rows: [string, Float64Array, Float64Array, number][] = [
    ["J", mod.kernels["jacobian"]!(params, points, n)["jacobian"]!, oracle.J, D * d],
    ["g", mod.kernels["metric"]!(params, points, n)["g"]!, oracle.g, d * d],
    ["R (route A)", mod.kernels["scalarCurvatureA"]!(params, points, n)["R"]!, oracle.R, 1],
    ["R (route B)", mod.kernels["scalarCurvatureB"]!(params, points, n)["R"]!, oracle.R, 1],
  ];
  return rows.map(([quantity, got, want, block]) => {
    const errs = relativeErrors(got, want, block);
    // A NaN anywhere makes the row NaN (Math.max propagates it), so the check fails on it.
    return { quantity, max: Math.max(...errs), median: median(errs) };
  });
}

/** True when every row's max error is a number within `tol` (NaN fails). */
export const checkPassed = (rows: readonly ErrorRow[], tol: number): boolean => rows.every((r) => r.max <= tol);

/** n seeded points uniform in [−1, 1]^d. */
export function randomPoints(d: number, n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n * d }, () => 2 * rng.uniform() - 1);
}

interface CheckCliOptions {
  points?: string;
  count: string;
  seed: string;
  tolerance: string;
  run?: string;
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("compare the generated kernels with tfjs nested autograd (float32): J, g and R by both routes; exit 1 on failure or NaN")
    .argument("[model]", "model.json (or use --run)")
    .option("--points <points>", `points as "x,y;x,y" or a JSON file (default: random in [-1, 1]^d)`)
    .option("-n, --count <n>", "number of random points", "32")
    .option("--seed <seed>", "seed for random points (integer ≥ 0)", "0")
    .option("--tolerance <tol>", "fail (exit 1) when a max relative error exceeds this", "1e-3")
    .option("--run <dir>", "check the trained decoder of a run folder (runs/<name>) instead of the model's initial weights")
    .action(
      guarded(async (file: string | undefined, opts: CheckCliOptions) => {
        const count = integerFlag(opts.count, "--count", 1, 100_000);
        const seed = integerFlag(opts.seed, "--seed", 0, 2 ** 32 - 1);
        const tol = Number(opts.tolerance);
        if (!(tol > 0) || !Number.isFinite(tol)) throw new UserError("--tolerance", `must be a positive number, got '${opts.tolerance}'`);
        let model: Model;
        let params: Float64Array;
        let source = "initial weights";
        if (opts.run !== undefined) {
          if (file !== undefined) throw new UserError("--run", "give either a model.json or --run runs/<name>, not both");
          const r = await loadRunDecoder(opts.run);
          ({ model, params } = r);
          source = `trained weights of ${opts.run} (step ${r.step})`;
        } else {
          if (file === undefined) throw new UserError("check", "give a model.json, or --run runs/<name> for a trained decoder");
          const { loadModel } = await import("../model/load.js");
          model = loadModel(file);
          params = decoderParams(model);
        }
        const { points, n } = opts.points
          ? parsePoints(opts.points, model.latentDim)
          : { points: randomPoints(model.latentDim, count, seed), n: count };
        const rows = await checkModel(model, points, n, params);
        process.stdout.write(`${model.name} (${source}): generated float64 kernels vs tfjs nested autograd (float32), ${n} points\n`);
        process.stdout.write(`${"quantity".padEnd(14)}${"max rel err".padStart(14)}${"median".padStart(14)}\n`);
        for (const r of rows)
          process.stdout.write(`${r.quantity.padEnd(14)}${r.max.toExponential(2).padStart(14)}${r.median.toExponential(2).padStart(14)}\n`);
        if (checkPassed(rows, tol)) {
          process.stdout.write(`ok: all within ${tol}\n`);
          return;
        }
        const bad = rows.filter((r) => !(r.max <= tol)).map((r) => `${r.quantity} ${Number.isNaN(r.max) ? "NaN" : r.max.toExponential(2)}`);
        process.stdout.write(`FAIL: ${bad.join(", ")} (tolerance ${tol}; NaN always fails)\n`);
        process.exitCode = EXIT.checkFailed;
      }),
    );
}
