/**
 * Loading a run folder runs/<name>/ into the report's RunData: the config as trained, the metrics
 * of eval.json (computed from the checkpoint and written first when eval.json is missing or older
 * than the checkpoint), latent codes with their colourings and the grid fields from latent.json,
 * the training curves from metrics.jsonl, notes, and every file of the folder as a source (the
 * report refuses to overwrite any of them).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import {
  checkRunFolder,
  evaluateRunFolder,
  readEvaluation,
  type EvalBackend,
  type LatentExport,
  type RunEvaluation,
} from "../runtime/run-eval/index.js";
import { loadCheckpoint } from "../runtime/train/checkpoint.js";
import { readMetrics } from "../runtime/train/metrics.js";
import type { ColourBy, CurveRecord } from "./plots.js";
import type { FieldData, RunData, RunLatent } from "./report.js";

/** Loss parts shown as training curves (the rest of a step record is bookkeeping). */
const CURVE_KEYS = [
  "loss",
  "recon",
  "curv",
  "r2",
  "uniformity",
  "contractive",
  "decoderContractive",
  "isometry",
  "volumeVariance",
  "conformality",
  "meanSqrtDetG",
  "normError",
  "tau",
  "gradNorm",
];
/** At most this many points per curve (evenly thinned, the last step always kept). */
const MAX_CURVE_POINTS = 1500;

export interface LoadRunOptions {
  /** Compute eval.json when it is missing or stale (default true); false: report without it. */
  evaluate?: boolean;
  /** tfjs backend for a missing evaluation (default: cpu for runs trained on cpu, else wasm). */
  backend?: EvalBackend;
  /** Called with a line of progress ("evaluating runs/x …"). */
  log?: (line: string) => void;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(path, `cannot be read as JSON: ${(e as Error).message}`);
  }
}

const nan = (v: number | null | undefined): number => (typeof v === "number" ? v : NaN);

function curves(path: string): CurveRecord[] {
  if (!existsSync(path)) return [];
  const steps = readMetrics(path).filter((r) => r.type === "step");
  const stride = Math.max(1, Math.ceil(steps.length / MAX_CURVE_POINTS));
  const kept = steps.filter((_, i) => i % stride === 0 || i === steps.length - 1);
  // Parts that are 0 throughout (an unused term) would only add empty panels.
  const used = CURVE_KEYS.filter((k) => kept.some((r) => typeof r[k] === "number" && r[k] !== 0));
  return kept.map((r) => {
    const out: CurveRecord = { step: r.step };
    if (typeof r["epoch"] === "number") out.epoch = r["epoch"];
    for (const k of used) if (typeof r[k] === "number") out[k] = r[k];
    return out;
  });
}

function latentOf(l: LatentExport, torus: boolean): RunLatent {
  const colours: ColourBy[] = l.colours.map((c) =>
    c.kind === "categorical"
      ? { kind: "categorical", name: c.name, values: c.values }
      : { kind: "continuous", name: c.name, values: c.values.map(nan) },
  );
  const latent: RunLatent = { z: l.z.map(nan), dim: l.dim, colours, torus };
  if (l.metricGrid) latent.metric = { ...l.metricGrid, g: l.metricGrid.g.map(nan) };
  return latent;
}

function fieldsOf(l: LatentExport, e: RunEvaluation): FieldData[] {
  const grid = e.curvature.grid;
  const where = grid?.boxSource === "torus" ? "the flat torus (−π, π]²" : "the bounding box of the encoded test points";
  return l.fields.map((f) => ({
    key: f.key,
    nx: f.nx,
    ny: f.ny,
    extent: f.extent,
    values: f.values.map(nan),
    description: `Pullback metric of the decoder (route ${e.curvature.route.toUpperCase()}), grid over ${where}; blank cells: det g ≤ ${e.curvature.detEpsilon}.`,
  }));
}

/** Load runs/<name>/ for the report. */
export async function loadRunData(runDir: string, opts: LoadRunOptions = {}): Promise<RunData> {
  const files = checkRunFolder(runDir);
  const { resolved: _resolved, ...config } = readJson(files.config);
  const name = typeof config["name"] === "string" ? config["name"] : runDir;
  const checkpoint = loadCheckpoint(files.checkpoint);
  const notes: string[] = [];

  let loaded = readEvaluation(runDir);
  const stale = loaded !== null && (loaded.evaluation.step !== checkpoint.step || loaded.evaluation.configHash !== checkpoint.configHash);
  if ((loaded === null || stale || loaded.latent === null) && opts.evaluate !== false) {
    opts.log?.(
      `evaluating ${runDir} (eval.json ${loaded === null ? "missing" : stale ? "older than the checkpoint" : "has no latent.json"}) …`,
    );
    const r = await evaluateRunFolder(runDir, opts.backend ? { backend: opts.backend } : {});
    loaded = { evaluation: r.evaluation, latent: r.latent };
  } else if (stale)
    notes.push(
      `eval.json is from step ${loaded!.evaluation.step}, the checkpoint from step ${checkpoint.step}: rerun \`ricci-gen eval ${runDir}\``,
    );

  const metrics: Record<string, number | null> = {};
  let summary: Record<string, unknown> | null = null;
  if (existsSync(files.summary)) summary = readJson(files.summary);
  if (loaded) Object.assign(metrics, loaded.evaluation.metrics);
  else notes.push("no eval.json: metrics, latent codes and fields are not shown");
  if (summary && typeof summary["elapsedSec"] === "number") metrics["train_seconds"] = summary["elapsedSec"];

  if (summary) {
    const status = summary["status"];
    if (status !== "completed")
      notes.push(
        `training status: ${String(status)}${status === "stopped" ? " (maxSteps reached before the last epoch)" : ""}, at step ${String(summary["steps"])}`,
      );
    if (typeof summary["scaleWarning"] === "string") notes.push(summary["scaleWarning"]);
  } else notes.push("no summary.json: training did not finish (the last checkpoint is evaluated)");
  if (loaded) for (const n of loaded.evaluation.notes) notes.push(n);

  const run: RunData = {
    name,
    config,
    metrics,
    curves: curves(files.metrics),
    notes,
    // Every file of the folder: the report must never land on any of them.
    sources: readdirSync(runDir).map((f) => resolve(join(runDir, f))),
  };
  if (loaded?.latent) {
    run.latent = latentOf(loaded.latent, loaded.evaluation.latent?.torus === true);
    if (loaded.latent.fields.length > 0) run.fields = fieldsOf(loaded.latent, loaded.evaluation);
  }
  return run;
}
