/**
 * `ricci-gen eval runs/<name> […]`: reopen each run from its checkpoint, compute the full
 * evaluation (reconstruction, curvature on test points and a latent grid, neighbourhood scores,
 * dataset-specific scores, geodesic ratio), write eval.json + latent.json into the run folder and
 * print a compact table. A missing folder or file is exit 2 naming it and how to produce it.
 */
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";

interface EvalCliOptions {
  backend?: string;
  json?: boolean;
  geodesicPairs?: string;
  geodesicIter?: string;
  geodesicGridLines?: string;
  geodesicGridPoints?: string;
  geodesicGridIter?: string;
  progress?: boolean;
}

/** Geodesic work options from the flags (validated: a bad value exits 2 naming the flag). */
async function geodesicFlags(opts: EvalCliOptions): Promise<Record<string, number>> {
  const { integerFlag } = await import("./flags.js");
  const flags: [keyof EvalCliOptions, string, string, number][] = [
    ["geodesicPairs", "geodesicPairs", "--geodesic-pairs", 0],
    ["geodesicIter", "geodesicIter", "--geodesic-iter", 1],
    ["geodesicGridLines", "geodesicGridLines", "--geodesic-grid-lines", 0],
    ["geodesicGridPoints", "geodesicGridPoints", "--geodesic-grid-points", 2],
    ["geodesicGridIter", "geodesicGridIter", "--geodesic-grid-iter", 1],
  ];
  const out: Record<string, number> = {};
  for (const [key, option, flag, min] of flags) {
    const v = opts[key];
    if (typeof v === "string") out[option] = integerFlag(v, flag, min, 100_000);
  }
  return out;
}

/**
 * A warning when config.json no longer matches the checkpoint (its config hash differs): the folder
 * was edited or mixed with another run's files, so the evaluation may not describe the trained run.
 */
async function warnOnConfigMismatch(runDir: string): Promise<void> {
  const [{ checkRunFolder }, { runConfig }, { loadCheckpoint }] = await Promise.all([
    import("../runtime/run-eval/folder.js"),
    import("../runtime/run-eval/open-run.js"),
    import("../runtime/train/checkpoint.js"),
  ]);
  const files = checkRunFolder(runDir);
  const trained = loadCheckpoint(files.checkpoint).configHash;
  const now = runConfig(runDir, files).hash;
  if (trained !== now)
    process.stderr.write(
      `ricci-gen: warning: ${files.config} does not match the checkpoint (config hash ${now.slice(0, 12)} ≠ ${String(trained).slice(0, 12)}): ` +
        `the run folder was edited or mixed with another run; the evaluation uses config.json as it is now\n`,
    );
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate trained runs: writes runs/<name>/eval.json (+ latent.json) and prints the metrics")
    .argument("<runs...>", "run folders written by `ricci-gen train` (runs/<name>)")
    .option("--backend <name>", "tfjs backend: cpu or wasm (default: wasm, or cpu when the run trained on cpu)")
    .option("--geodesic-pairs <n>", "random code pairs for our geodesic ratio (default 32; 8 for D > 100 without ONNX Runtime; 0 skips)")
    .option("--geodesic-iter <n>", "iterations of each random-pair geodesic at most (default 100; 40 for D > 100 without ONNX Runtime)")
    .option(
      "--geodesic-grid-lines <n>",
      "geodesics in the research's grid ratio (default 11; 0 skips; off by default for D > 100 without ONNX Runtime, where 5 take minutes)",
    )
    .option("--geodesic-grid-points <n>", "points per logarithmic-chart line of the grid (default 20; 8 for D > 100 without ONNX Runtime)")
    .option("--geodesic-grid-iter <n>", "iterations of each grid geodesic at most (default 100; 30 for D > 100 without ONNX Runtime)")
    .option("--json", "print one JSON document, an array of the eval.json of each run, instead of the table")
    .option("--no-progress", "no per-phase progress lines on stderr (where the results went is still printed)")
    .action(
      guarded(async (runDirs: string[], opts: EvalCliOptions) => {
        const { checkRunFolder } = await import("../runtime/run-eval/folder.js");
        if (opts.backend !== undefined && opts.backend !== "cpu" && opts.backend !== "wasm")
          throw new UserError("--backend", `evaluation runs on the tfjs cpu or wasm backend, not '${opts.backend}'`);
        // Check every folder before the slow part, so a typo fails at once.
        for (const dir of runDirs) checkRunFolder(dir);
        const geodesic = await geodesicFlags(opts);
        const [{ evaluateRunFolder }, { metricTable }] = await Promise.all([
          import("../runtime/run-eval/index.js"),
          import("./metric-table.js"),
        ]);
        const rows: { name: string; metrics: Record<string, number | null> }[] = [];
        const evaluations: unknown[] = [];
        for (const dir of runDirs) {
          await warnOnConfigMismatch(dir);
          const r = await evaluateRunFolder(dir, {
            ...geodesic,
            ...(opts.progress !== false
              ? { onPhase: (name: string, s: number) => process.stderr.write(`${dir}: ${name} done in ${s.toFixed(1)} s\n`) }
              : {}),
            ...(opts.backend === "cpu" || opts.backend === "wasm" ? { backend: opts.backend } : {}),
          });
          // Where the results went goes to stderr in every mode (also with --json), so stdout stays one document.
          process.stderr.write(
            `${dir}: evaluated ${r.evaluation.evaluatedPoints} test points at step ${r.evaluation.step} in ${r.evaluation.elapsedSec.toFixed(1)} s → ${r.files.eval}\n`,
          );
          for (const n of r.evaluation.notes) process.stderr.write(`  note: ${n}\n`);
          evaluations.push(r.evaluation);
          rows.push({ name: r.evaluation.name, metrics: r.evaluation.metrics });
        }
        // One JSON document whatever the number of runs: an array of eval.json contents, in argument order.
        process.stdout.write(opts.json ? JSON.stringify(evaluations, null, 1) + "\n" : metricTable(rows) + "\n");
      }),
    );
}
