/**
 * The evaluation files of a run folder: `eval.json` (every metric, documented in
 * docs/run-folder.md) and `latent.json` (latent codes with their colourings and the grid fields,
 * for pictures). Both are written atomically; non-finite numbers are stored as null (JSON has no
 * NaN) and read back as NaN.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { UserError } from "../../util/errors.js";
import type { PairCountingResult, RotationScores, Summary } from "../eval/index.js";
import type { MetricGrid } from "../export/latent-files.js";

export const EVAL_FORMAT = "ricci-gen-eval";
export const EVAL_VERSION = 1;

export const evalFiles = (runDir: string) => ({ eval: join(runDir, "eval.json"), latent: join(runDir, "latent.json") });

/** Curvature statistics on a point set (encoded test points or a latent grid). */
export interface CurvatureStats {
  /** Points evaluated. */
  n: number;
  /** Points with det g ≤ ε (excluded from every statistic below). */
  degenerate: number;
  degenerateShare: number;
  meanR2SqrtDetG: number;
  /** Median of R²√det g: a few points can dominate the mean. */
  medianR2SqrtDetG: number;
  meanAbsR: number;
  meanSqrtDetG: number;
  absR: Summary;
  R: Summary;
  sqrtDetG: Summary;
  R2SqrtDetG: Summary;
}

export interface GridStats extends CurvatureStats {
  /** Cells per latent axis. */
  resolution: number;
  /** [lo, hi] per latent dimension (cell edges). */
  box: [number, number][];
  /** "torus" (the flat torus (−π, π]^d) or "test-codes" (bounding box of the encoded test points). */
  boxSource: "torus" | "test-codes";
  /** Σ over non-degenerate cells of R²√det g · cell volume ≈ ∫_box R² dμ. */
  integralR2: number;
}

export interface CloudStats {
  label: number;
  size: number;
  /** Median, mean and maximum over the class's non-degenerate test points of cond(g) = λmax/λmin. */
  medianConditionNumber: number;
  meanConditionNumber: number;
  maxConditionNumber: number;
  /** λmin/λmax of the class's latent covariance. */
  latentEigenRatio: number;
  /** Procrustes error against the true in-plane coordinates (Gaussian clouds only). */
  procrustesError: number | null;
  /** λmin/λmax of the true in-plane covariance (Gaussian clouds only). */
  trueEigenRatio: number | null;
}

export interface RunEvaluation {
  format: typeof EVAL_FORMAT;
  version: number;
  name: string;
  createdAt: string;
  /** Optimiser steps of the checkpoint evaluated, and its configHash (to detect a stale file). */
  step: number;
  configHash: string;
  backend: string;
  elapsedSec: number;
  /** Wall-clock seconds per phase (reconstruction, curvatureTest, curvatureGrid, neighbourhood, datasetScores, geodesic, geodesicGrid). */
  timings: Record<string, number>;
  dataset: string;
  latent: { dim: number; torus: boolean };
  /** Test points in the run's split, and how many were evaluated (the first ones). */
  testPoints: number;
  evaluatedPoints: number;
  /**
   * Reconstruction on the (standardised) test data: MSE; r2 = 1 − MSE / (variance around the
   * per-feature means); r2Pooled = 1 − MSE / (variance of all values around their single mean), the
   * research's definition.
   */
  reconstruction: { mse: number; r2: number; r2Pooled: number };
  curvature: {
    detEpsilon: number;
    route: string;
    test: CurvatureStats;
    /** Grid over the latent box: 48² cells for d = 2, ⌊4096^(1/d)⌋ per axis otherwise; null if that is below 2. */
    grid: GridStats | null;
    /** Median over non-degenerate test points of the condition number of g. */
    medianConditionNumber: number;
  };
  /**
   * Conformality / isometry over the non-degenerate test codes: cond(g) = λmax/λmin (1 = conformal)
   * and IRVAE's relaxed distortion d·mean Tr(g²)/(mean Tr g)² − 1 (0 = isometric up to one scale).
   */
  conformality: {
    n: number;
    meanConditionNumber: number;
    medianConditionNumber: number;
    maxConditionNumber: number;
    isometryDistortion: number;
  };
  /** On the first `n` evaluated points, in the standardised data space vs the latent space. */
  neighbourhood: {
    n: number;
    k: number;
    trustworthiness: number;
    continuity: number;
    tearing: { share: number; factor: number; k: number };
  } | null;
  /**
   * Swiss roll: t and height are the best |Spearman ρ| of any latent direction, each on its own.
   * rotation (d = 2): rotations θ of the latent plane, axis₁ = (cos θ, sin θ), axis₂ ⟂ axis₁;
   * `goal` maximises min(|ρ(axis₁, t)| / 0.97, |ρ(axis₂, height)| / 0.90) (score ≥ 1: both
   * targets met), `atBestT` maximises |ρ(axis₁, t)|. knnOverlap: mean over the codes of
   * |N_latent ∩ N_true| / k with the true chart (t, height), and with the isometric unrolled chart
   * (arc length of the spiral, height); latent differences wrapped on a torus latent.
   */
  swissRoll: {
    n: number;
    t: number;
    height: number;
    rotation: { steps: number; goal: RotationScores; atBestT: RotationScores } | null;
    /** `unrolledTHeight`: the exact unrolled chart's overlap with (t, height), a reference for `tHeight`. */
    knnOverlap: { k: number; tHeight: number; arcLengthHeight: number; unrolledTHeight: number } | null;
  } | null;
  /**
   * Labelled data: per class geometry; `kmeansF1ClassMax`: k-means (k = number of classes, on the
   * first n codes) scored by the class-size-weighted best F1 per class (ours); `pairCounting`: the
   * research's pair-counting F = 2a/(2a + b + c) of k-means on `codes` random codes, mean over
   * `draws` draws (k-means on the flat torus for a periodic latent).
   */
  classes: {
    n: number;
    clouds: CloudStats[];
    meanConditionNumber: number;
    meanEigenRatio: number;
    /** Worst cloud: smallest latent eigenvalue ratio, largest mean condition number of g. */
    minEigenRatio: number;
    maxMeanConditionNumber: number;
    meanProcrustesError: number | null;
    kmeansF1ClassMax: number;
    pairCounting: PairCountingResult;
  } | null;
  /** Geodesic/straight length ratio under g between random pairs of encoded test points (ours; 1 = flat). */
  geodesic: { pairs: number; segments: number; maxIter: number; meanRatio: number; medianRatio: number; metricPoints: number } | null;
  /**
   * The research's estimator (d = 2): a grid of `lines` geodesics across the latent box, each
   * against the image under exp_p of the straight line between its ends' log_p, `points` points each
   * (see src/runtime/eval/geodesic-grid.ts); ratio = L(geodesic) / L(image), 1 = flat.
   */
  geodesicGrid: {
    lines: number;
    points: number;
    segments: number;
    maxIter: number;
    shootSteps: number;
    box: [number, number][];
    basePoint: number[];
    meanRatio: number;
    medianRatio: number;
    ratios: number[];
    /** Lines left out (null ratio): their exp_p shots missed the line's ends by > 5 % of the box diagonal. */
    failedLines: number;
    /** Points where g and ∂g were evaluated (the work done, independent of machine load). */
    metricPoints: number;
  } | null;
  /** Flat key → value table (the report's metric table). */
  metrics: Record<string, number | null>;
  notes: string[];
}

export interface LatentColouring {
  kind: "categorical" | "continuous";
  name: string;
  values: number[];
}

export interface LatentField {
  key: "R" | "sqrtDetG" | "R2SqrtDetG";
  nx: number;
  ny: number;
  extent: [number, number, number, number];
  /** values[j·nx + i]; null where det g ≤ ε (degenerate). */
  values: (number | null)[];
}

export interface LatentExport {
  format: "ricci-gen-latent";
  version: number;
  step: number;
  dim: number;
  n: number;
  /** n × dim, row-major. */
  z: number[];
  colours: LatentColouring[];
  /** d = 2 only. */
  fields: LatentField[];
  /** d = 2 only: g on a coarse grid of the latent box, for indicatrices (absent in older files). */
  metricGrid?: MetricGrid;
}

/** JSON with non-finite numbers as null. */
function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? null : x), 1) + "\n";
}

export function writeEvaluation(runDir: string, evaluation: RunEvaluation, latent: LatentExport): { eval: string; latent: string } {
  const f = evalFiles(runDir);
  // latent.json first: a reader that finds eval.json finds the matching latent.json.
  writeFileAtomic(f.latent, JSON.stringify(latent) + "\n");
  writeFileAtomic(f.eval, stringify(evaluation));
  return f;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new UserError(path, `cannot be read as JSON (${(e as Error).message}); recompute it with \`ricci-gen eval ${join(path, "..")}\``);
  }
}

/**
 * eval.json and the matching latent.json of a run, or null when there is no eval.json. latent is null
 * when latent.json is missing or from another step. Numbers stored as null (non-finite) stay null.
 */
export function readEvaluation(runDir: string): { evaluation: RunEvaluation; latent: LatentExport | null } | null {
  const f = evalFiles(runDir);
  if (!existsSync(f.eval)) return null;
  const e = readJson(f.eval) as Partial<RunEvaluation>;
  if (e.format !== EVAL_FORMAT || typeof e.version !== "number" || typeof e.metrics !== "object")
    throw new UserError(
      f.eval,
      `is not a ricci-gen evaluation (format "${String(e.format)}"); recompute it with \`ricci-gen eval ${runDir}\``,
    );
  if (e.version > EVAL_VERSION) throw new UserError(f.eval, `has version ${e.version}; this ricci-gen reads version ${EVAL_VERSION}`);
  let latent: LatentExport | null = null;
  if (existsSync(f.latent)) {
    const l = readJson(f.latent) as Partial<LatentExport>;
    if (l.format === "ricci-gen-latent" && l.step === e.step && Array.isArray(l.z)) latent = l as LatentExport;
  }
  return { evaluation: e as RunEvaluation, latent };
}
