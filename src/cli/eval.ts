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
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate trained runs: writes runs/<name>/eval.json (+ latent.json) and prints the metrics")
    .argument("<runs...>", "run folders written by `ricci-gen train` (runs/<name>)")
    .option("--backend <name>", "tfjs backend: cpu or wasm (default: wasm, or cpu when the run trained on cpu)")
    .option("--json", "print eval.json of each run instead of the table")
    .action(
      guarded(async (runDirs: string[], opts: EvalCliOptions) => {
        const { checkRunFolder } = await import("../runtime/run-eval/folder.js");
        if (opts.backend !== undefined && opts.backend !== "cpu" && opts.backend !== "wasm")
          throw new UserError("--backend", `evaluation runs on the tfjs cpu or wasm backend, not '${opts.backend}'`);
        // Check every folder before the slow part, so a typo fails at once.
        for (const dir of runDirs) checkRunFolder(dir);
        const [{ evaluateRunFolder }, { metricTable }] = await Promise.all([
          import("../runtime/run-eval/index.js"),
          import("./metric-table.js"),
        ]);
        const rows: { name: string; metrics: Record<string, number | null> }[] = [];
        for (const dir of runDirs) {
          const r = await evaluateRunFolder(dir, opts.backend === "cpu" || opts.backend === "wasm" ? { backend: opts.backend } : {});
          if (opts.json) process.stdout.write(JSON.stringify(r.evaluation, null, 1) + "\n");
          else {
            process.stderr.write(
              `${dir}: evaluated ${r.evaluation.evaluatedPoints} test points at step ${r.evaluation.step} in ${r.evaluation.elapsedSec.toFixed(1)} s → ${r.files.eval}\n`,
            );
            for (const n of r.evaluation.notes) process.stderr.write(`  note: ${n}\n`);
          }
          rows.push({ name: r.evaluation.name, metrics: r.evaluation.metrics });
        }
        if (!opts.json) process.stdout.write(metricTable(rows) + "\n");
      }),
    );
}
