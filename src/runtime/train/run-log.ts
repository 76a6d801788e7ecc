/**
 * What a run writes besides checkpoints: its inputs (config.json, model.json, data.json) at the
 * start, one metrics record per step (with the parts that apply to its loss), the progress line, the
 * runaway-scale watch and summary.json. Formats: docs/run-folder.md.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import type { TrainConfig } from "./config.js";
import type { MetricRecord, MetricsLog } from "./metrics.js";
import type { ProgressBar } from "./progress.js";
import type { RunState } from "./run-state.js";
import type { BuiltSession, Parts, Session, SessionData } from "./session.js";
import type { TestMetrics } from "./evaluate.js";

/** Factor by which the mean √det g may drift from its first-step value before a runaway-scale warning. */
const SCALE_LIMIT = 1000;

export const runFiles = (dir: string) => ({
  config: join(dir, "config.json"),
  model: join(dir, "model.json"),
  data: join(dir, "data.json"),
  kernels: join(dir, "kernels.tfjs.ts"),
  potential: join(dir, "potential.tfjs.ts"),
  metrics: join(dir, "metrics.jsonl"),
  checkpoint: join(dir, "checkpoint.json"),
  summary: join(dir, "summary.json"),
});
export type RunFiles = ReturnType<typeof runFiles>;

export interface Summary {
  name: string;
  status: "completed" | "stopped" | "interrupted" | "failed";
  failure?: { step: number; reason: string };
  steps: number;
  epochsCompleted: number;
  elapsedSec: number;
  backend: string;
  functional: string;
  route: string;
  sign: number;
  measure: string;
  latent: { dim: number; torus: boolean };
  data: { train: number; test: number };
  degenerateTotal: number;
  scaleWarning: string | null;
  lastStep: Parts | null;
  test: TestMetrics | null;
}

function stripComputed(config: TrainConfig): Record<string, unknown> {
  const { modelPath: _m, baseDir: _b, runsPath: _r, hash: _h, initPath: _i, ...rest } = config;
  return rest;
}

/** config.json, model.json and data.json of a fresh run. */
export function writeRunInputs(files: RunFiles, config: TrainConfig, built: BuiltSession, data: SessionData): void {
  const resolved = {
    modelPath: config.modelPath,
    baseDir: config.baseDir,
    runsPath: config.runsPath,
    hash: config.hash,
    torus: built.session.torus,
  };
  writeFileAtomic(files.config, JSON.stringify({ ...stripComputed(config), resolved }, null, 2) + "\n");
  writeFileAtomic(files.model, built.modelText);
  const dataInfo = {
    dataset: data.train.name.replace(/\/train$/, ""),
    dim: built.session.model.outputDim,
    train: data.train.n,
    test: data.test.n,
    testFraction: config.split.test,
    splitSeed: config.split.seed ?? config.seed,
    standardization: data.standardization ? { mean: [...data.standardization.mean], std: [...data.standardization.std] } : null,
  };
  writeFileAtomic(files.data, JSON.stringify(dataInfo, null, 2) + "\n");
}

/** The loss as one line, e.g. "1·MSE + 0.1·R2 (route B) + 0.5·uniformity". */
export function lossDescription(config: TrainConfig): string {
  const l = config.loss;
  const terms = [`${l.recon}·MSE`];
  if (l.curv > 0) terms.push(`${l.sign > 0 ? "+" : "−"} ${l.curv}·${l.functional} (route ${l.route.toUpperCase()})`);
  if (l.uniformity.weight > 0) terms.push(`+ ${l.uniformity.weight}·uniformity`);
  if (l.contractive.weight > 0) terms.push(`+ ${l.contractive.weight}·contractive (${l.contractive.reduce})`);
  for (const k of ["decoderContractive", "isometry", "volume", "conformality", "isomap"] as const)
    if (l[k].weight > 0) terms.push(`+ ${l[k].weight}·${k}`);
  const eps = l.curv > 0 && l.inverseMetricEpsilon > 0 ? `; R with (g + ${l.inverseMetricEpsilon}·I)⁻¹` : "";
  return terms.join(" ") + eps;
}

/** The metrics record of a step: the parts its loss has (no curvature parts without λ_curv, and so on). */
export function stepRecord(
  session: Session,
  state: RunState,
  parts: Parts,
  gradNorm: number,
  pointsPerSec: number,
  elapsedSec: number,
): MetricRecord {
  const record: MetricRecord = { type: "step", step: state.step, epoch: state.epoch + 1, ...parts, gradNorm, pointsPerSec, elapsedSec };
  const drop = (keys: string[]): void => keys.forEach((k) => delete record[k]);
  if (!session.usesCurvature) drop(["curv", "r2", "degenerate", "volume", "meanSqrtDetG", "normError"]);
  if (session.functional === "R2") drop(["normError"]);
  if (session.functional !== "W") drop(["tau"]);
  if (session.weights.decoderContractive === 0) drop(["decoderContractive"]);
  if (!session.usesRegularizerPoints) drop(["isometry", "volumeVariance", "conformality"]);
  if (session.weights.isomap === 0) drop(["isomap"]);
  return record;
}

/** The parts the progress line shows. */
export function shownParts(config: TrainConfig, session: Session, parts: Parts): Record<string, number> {
  const shown: Record<string, number> = { loss: parts.loss, recon: parts.recon };
  if (session.usesCurvature) shown[config.loss.functional] = parts.curv;
  if (config.loss.uniformity.weight > 0) shown["unif"] = parts.uniformity;
  if (config.loss.contractive.weight > 0) shown["contr"] = parts.contractive;
  if (session.usesCurvature && parts.degenerate > 0) shown["degenerate"] = parts.degenerate;
  return shown;
}

/**
 * Warns once when the mean √det g at the measure points has drifted by more than SCALE_LIMIT since
 * the first step: F is not scale-invariant, and a free latent scale can run away under it.
 */
export function watchScale(config: TrainConfig, state: RunState, parts: Parts, metrics: MetricsLog, progress: ProgressBar): string | null {
  if (parts.meanSqrtDetG <= 0) return null;
  if (state.initialScale === null) state.initialScale = parts.meanSqrtDetG;
  const ratio = parts.meanSqrtDetG / state.initialScale;
  if (state.scaleWarned || (ratio <= SCALE_LIMIT && ratio >= 1 / SCALE_LIMIT)) return null;
  state.scaleWarned = true;
  const warning =
    `runaway scale: the mean √det g at the measure points ${ratio > 1 ? "grew" : "shrank"} by a factor ${(ratio > 1 ? ratio : 1 / ratio).toPrecision(3)} ` +
    `since the first step (step ${state.step}); ${config.loss.functional} is not scale-invariant (docs/mathematics.md §4): a torus latent, the uniformity term or W pin the scale`;
  metrics.append({ type: "event", step: state.step, event: "scale-warning", message: warning });
  progress.log(`warning: ${warning}`);
  return warning;
}
