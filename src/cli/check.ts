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
import { parsePoints } from "./points.js";

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

export async function checkModel(model: Model, points: Float64Array, n: number): Promise<ErrorRow[]> {
  // tfjs, mathjs and ts-morph load only when the command runs, to keep CLI startup fast.
  const [tf, { compileModel }, { loadKernelModule }, { installHigherOrderGradients }, { oracleCurvature }] = await Promise.all([
    import("@tensorflow/tfjs"),
    import("../emit/compile.js"),
    import("../runtime/kernel-module.js"),
    import("../runtime/oracle/tfjs-activations.js"),
    import("../runtime/oracle/tfjs-autograd.js"),
  ]);
  await tf.setBackend("cpu");
  installHigherOrderGradients();
  const params = decoderParams(model);
  const mod = await loadKernelModule(compileModel(model, ["a", "b"]).files.get("kernels.ts")!);
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
    return { quantity, max: Math.max(...errs), median: median(errs) };
  });
}

/** n seeded points uniform in [−1, 1]^d. */
export function randomPoints(d: number, n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n * d }, () => 2 * rng.uniform() - 1);
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("compare the generated kernels with tfjs nested autograd (float32): J, g and R by both routes")
    .argument("<model>", "model.json")
    .option("--points <points>", `points as "x,y;x,y" or a JSON file (default: random in [-1, 1]^d)`)
    .option("-n, --count <n>", "number of random points", "32")
    .option("--seed <seed>", "seed for random points", "0")
    .option("--tolerance <tol>", "fail (exit 1) when a max relative error exceeds this", "1e-3")
    .action(
      guarded(async (file: string, opts: { points?: string; count: string; seed: string; tolerance: string }) => {
        const { loadModel } = await import("../model/load.js");
        const model = loadModel(file);
        const count = Number(opts.count);
        if (!Number.isInteger(count) || count < 1) throw new UserError("--count", `must be a positive integer, got '${opts.count}'`);
        const tol = Number(opts.tolerance);
        if (!(tol > 0)) throw new UserError("--tolerance", `must be a positive number, got '${opts.tolerance}'`);
        const { points, n } = opts.points
          ? parsePoints(opts.points, model.latentDim)
          : { points: randomPoints(model.latentDim, count, Number(opts.seed)), n: count };
        const rows = await checkModel(model, points, n);
        process.stdout.write(`${model.name}: generated float64 kernels vs tfjs nested autograd (float32), ${n} points\n`);
        process.stdout.write(`${"quantity".padEnd(14)}${"max rel err".padStart(14)}${"median".padStart(14)}\n`);
        for (const r of rows)
          process.stdout.write(`${r.quantity.padEnd(14)}${r.max.toExponential(2).padStart(14)}${r.median.toExponential(2).padStart(14)}\n`);
        const worst = Math.max(...rows.map((r) => r.max));
        process.stdout.write(worst <= tol ? `ok: all within ${tol}\n` : `FAIL: max relative error ${worst.toExponential(2)} > ${tol}\n`);
        if (worst > tol) process.exitCode = 1;
      }),
    );
}
