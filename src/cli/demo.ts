/**
 * `ricci-gen demo`: the poster's Swiss roll, before and after, end to end. Trains
 * examples/swiss-roll-baseline.train.json (reconstruction only) and
 * examples/swiss-roll-unroll.train.json (Isomap anchor + isometry + ∫R² dμ) on a smaller roll so
 * that both finish in a few minutes on a laptop CPU, evaluates both (eval.json), writes the
 * comparison report and prints the headline numbers: curvature, and whether the roll is unrolled.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { isUserError, UserError } from "../util/errors.js";
import { guarded } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { StopOnSignal } from "./signals.js";
import { writePictures } from "./train.js";
import { VERSION } from "./version.js";

export interface DemoOptions {
  /** Output folder: <out>/runs/<name>/ and <out>/report.html. */
  out: string;
  /** Swiss roll points (train + test) and epochs per run. */
  points: number;
  epochs: number;
  /** Training engine: onnx (compiled step graph, default) or a tfjs backend; evaluation runs on tfjs (wasm for onnx). */
  backend: "onnx" | "cpu" | "wasm";
  progress: boolean;
  log: (line: string) => void;
  stop?: { requested: boolean };
}

/** Default and --quick sizes (measured on a 2-core CPU, wasm: see README). */
export const DEMO_SIZES = { full: { points: 2000, epochs: 40 }, quick: { points: 1000, epochs: 20 } } as const;

/** Headline metrics printed by the demo, in this order. */
export const HEADLINE = [
  "test_mse",
  "test_r2",
  "test_r2_pooled",
  "mean_R2_sqrt_detg",
  "median_R2_sqrt_detg",
  "grid_mean_R2_sqrt_detg",
  "grid_median_R2_sqrt_detg",
  "mean_abs_R",
  "trustworthiness",
  "continuity",
  "tearing",
  "condition_number",
  "rotation_spearman_t",
  "rotation_spearman_height",
  "knn_overlap_arclength",
  "knn_overlap_t_height",
  "knn_overlap_t_height_exact_unrolling",
  "geodesic_ratio",
] as const;

export interface DemoResult {
  report: string;
  runs: { name: string; runDir: string; curv: number; trainSec: number; metrics: Record<string, number | null> }[];
  wallSec: number;
}

const examplesDir = (): string => fileURLToPath(new URL("../../examples/", import.meta.url));

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const [{ loadTrainConfig }, { train }, { loadRunData }, { writeReport }] = await Promise.all([
    import("../runtime/train/config.js"),
    import("../runtime/train/trainer.js"),
    import("../report/load-run.js"),
    import("../report/report.js"),
  ]);
  const runsDir = resolve(o.out, "runs");
  const overrides = { dataset: { kind: "swiss-roll", n: o.points, seed: 0 }, epochs: o.epochs, backend: o.backend, evalEvery: 0, runsDir };
  const runs: DemoResult["runs"] = [];
  for (const file of ["swiss-roll-baseline.train.json", "swiss-roll-unroll.train.json"]) {
    const { config } = loadTrainConfig(join(examplesDir(), file), overrides);
    o.log(
      `demo: training ${config.name} (λ_curv = ${config.loss.curv}) on ${o.points} Swiss roll points, ${o.epochs} epochs, backend ${o.backend} …`,
    );
    const { runDir, summary } = await train(config, { force: true, progress: o.progress, ...(o.stop ? { stop: o.stop } : {}) });
    if (summary.status === "interrupted")
      throw new UserError("demo", `interrupted while training ${config.name}; run \`ricci-gen demo\` again`);
    runs.push({ name: config.name, runDir, curv: config.loss.curv, trainSec: summary.elapsedSec, metrics: {} });
    await writePictures(runDir, false);
  }
  const data = [];
  for (const r of runs) {
    const d = await loadRunData(r.runDir, { backend: o.backend === "onnx" ? "wasm" : o.backend, log: o.log });
    r.metrics = { ...d.metrics };
    data.push(d);
  }
  const report = resolve(o.out, "report.html");
  writeReport(data, report, {
    title: "ricci-gen demo: the Swiss roll unregularised, and unrolled (Isomap anchor + isometry + ∫R² dμ)",
    generator: `ricci-gen ${VERSION} demo`,
  });
  return { report, runs, wallSec: (performance.now() - t0) / 1000 };
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return typeof a === "number" && typeof b === "number" && b > 0 ? `${(a / b).toPrecision(3)}×` : "—";
}

interface DemoCliOptions {
  out: string;
  quick?: boolean;
  backend: string;
  progress: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "train the Swiss roll unregularised and with the unrolling recipe (Isomap anchor + isometry + ∫R² dμ), evaluate both and write the comparison report",
    )
    .option("-o, --out <dir>", "output folder (runs/ and report.html inside)", "demo")
    .option(
      "--quick",
      `smaller and shorter (${DEMO_SIZES.quick.points} points, ${DEMO_SIZES.quick.epochs} epochs instead of ${DEMO_SIZES.full.points} and ${DEMO_SIZES.full.epochs})`,
    )
    .option(
      "--backend <name>",
      "training engine: onnx (the compiled training step in ONNX Runtime, fastest), wasm or cpu (tfjs; cpu is bit-reproducible)",
      "onnx",
    )
    .option("--no-progress", "no progress bars on stderr")
    .action(
      guarded(async (opts: DemoCliOptions) => {
        if (opts.backend !== "onnx" && opts.backend !== "wasm" && opts.backend !== "cpu")
          throw new UserError("--backend", `the demo runs on onnx, wasm or cpu, not '${opts.backend}'`);
        const { metricTable, formatNumber } = await import("./metric-table.js");
        const size = opts.quick ? DEMO_SIZES.quick : DEMO_SIZES.full;
        const stop = new StopOnSignal("stopping after this step (a checkpoint will be written)");
        let res: DemoResult;
        try {
          res = await runDemo({
            out: opts.out,
            ...size,
            backend: opts.backend,
            progress: opts.progress,
            log: (l) => process.stderr.write(l + "\n"),
            stop,
          });
        } catch (e) {
          if (stop.requested && isUserError(e) && e.where === "demo") {
            process.stderr.write(`ricci-gen: ${e.message}\n`);
            process.exitCode = stop.exitCode();
            return;
          }
          const { TrainingFailure } = await import("../runtime/train/trainer.js");
          if (!(e instanceof TrainingFailure)) throw e;
          process.stderr.write(`ricci-gen: demo: ${e.message}\n`);
          process.exitCode = EXIT.trainingFault;
          return;
        } finally {
          stop.dispose();
        }
        const [base, curv] = res.runs as [DemoResult["runs"][number], DemoResult["runs"][number]];
        const m = (r: typeof base, k: string): number | null => r.metrics[k] ?? null;
        const out = [
          "",
          metricTable(res.runs, HEADLINE),
          "",
          `mean R²√det g at the test codes: ${formatNumber(m(base, "mean_R2_sqrt_detg"))} → ${formatNumber(m(curv, "mean_R2_sqrt_detg"))} (${ratio(m(base, "mean_R2_sqrt_detg"), m(curv, "mean_R2_sqrt_detg"))} lower in ${curv.name})`,
          `unrolled? best-rotation rank correlation with t ${formatNumber(m(base, "rotation_spearman_t"))} → ${formatNumber(m(curv, "rotation_spearman_t"))} and with the height ${formatNumber(m(base, "rotation_spearman_height"))} → ${formatNumber(m(curv, "rotation_spearman_height"))}; 10-NN overlap with the unrolled chart ${formatNumber(m(base, "knn_overlap_arclength"))} → ${formatNumber(m(curv, "knn_overlap_arclength"))}`,
          `reconstruction R²: ${formatNumber(m(base, "test_r2"))} → ${formatNumber(m(curv, "test_r2"))}; median condition number of g ${formatNumber(m(base, "condition_number"))} → ${formatNumber(m(curv, "condition_number"))}; tearing ${formatNumber(m(base, "tearing"))} → ${formatNumber(m(curv, "tearing"))}`,
          `training: ${base.name} ${base.trainSec.toFixed(0)} s, ${curv.name} ${curv.trainSec.toFixed(0)} s; demo total ${res.wallSec.toFixed(0)} s`,
          `runs: ${base.runDir}, ${curv.runDir}`,
          `report: ${res.report}`,
        ];
        process.stdout.write(out.join("\n") + "\n");
      }),
    );
}
