/**
 * `ricci-gen bench`: training-step time per point with the generated tfjs kernels and with the same
 * loss by nested tfjs autograd (the naive way), on the CPU backends, in one run.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";

interface BenchCliOptions {
  model: string;
  batch: string;
  backends: string;
  routes: string;
  steps: string;
  naiveSteps: string;
  lambda: string;
  seed: string;
  json?: boolean;
}

const positiveInt = (v: string, flag: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(flag, `must be an integer ≥ ${min}, got '${v}'`);
  return n;
};

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time a training step per point: generated tfjs kernels vs. tfjs nested autograd (the naive way)")
    .option("--model <file>", "model.json whose decoder and encoder are timed", "examples/swiss-roll.model.json")
    .option("--batch <n>", "points per step", "256")
    .option("--backends <list>", "comma-separated tfjs backends (cpu, wasm, webgpu, tensorflow)", "cpu,wasm")
    .option("--routes <list>", "curvature routes: b, a or a,b", "b,a")
    .option("--steps <n>", "timed steps with the generated kernels (median reported)", "5")
    .option("--naive-steps <n>", "timed steps with nested autograd (0 skips it)", "2")
    .option("--lambda <x>", "λ_curv of the timed loss", "0.1")
    .option("--seed <n>", "seed of the random batch", "0")
    .option("--json", "print the rows as JSON instead of a table")
    .action(
      guarded(async (opts: BenchCliOptions) => {
        const [{ runBench, formatBench }, { BACKENDS }] = await Promise.all([import("../runtime/train/bench.js"), import("../runtime/train/config.js")]);
        const backends = opts.backends.split(",").map((b) => b.trim());
        for (const b of backends)
          if (!(BACKENDS as readonly string[]).includes(b)) throw new UserError("--backends", `unknown backend '${b}' (use ${BACKENDS.join(", ")})`);
        const routes = opts.routes.split(",").map((r) => r.trim().toLowerCase());
        for (const r of routes) if (r !== "a" && r !== "b") throw new UserError("--routes", `unknown route '${r}' (use a, b)`);
        const lambda = Number(opts.lambda);
        if (!Number.isFinite(lambda) || lambda < 0) throw new UserError("--lambda", `must be a number ≥ 0, got '${opts.lambda}'`);
        const rows = await runBench(
          {
            modelPath: resolve(opts.model),
            batch: positiveInt(opts.batch, "--batch"),
            backends: backends as (typeof BACKENDS)[number][],
            routes: routes as ("a" | "b")[],
            steps: positiveInt(opts.steps, "--steps"),
            naiveSteps: positiveInt(opts.naiveSteps, "--naive-steps", 0),
            lambda,
            seed: positiveInt(opts.seed, "--seed", 0),
          },
          opts.json ? () => {} : (line) => process.stderr.write(`${line}\n`),
        );
        process.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + "\n" : formatBench(rows) + "\n");
      }),
    );
}
