/**
 * Full evaluation of a trained run (the session holds the checkpoint's parameters): reconstruction,
 * curvature on the encoded test points and on a latent grid, neighbourhood preservation, the
 * dataset-specific scores (Swiss roll rank correlations; per-class geometry, Procrustes and k-means
 * for labelled data) and the geodesic length ratio. The network runs in float32 through the run's
 * tfjs kernels; the metrics are float64 (src/runtime/eval).
 *
 * Sized for a 2-core CPU: curvature on at most `maxPoints` test points, the O(n²) neighbourhood
 * metrics on at most `knnPoints` of them, a 48 × 48 grid for d = 2.
 */
import { onnxGeometry, type PointGeometry } from "../onnx/geometry.js";
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { UserError } from "../../util/errors.js";
import { conditionNumbers, isometryDistortion, mse, neighbourhoodPreservation, r2, r2Pooled, summarize, tearing } from "../eval/index.js";
import type { TrainConfig } from "../train/config.js";
import { tfjsGeometry } from "../train/evaluate.js";
import type { Session, SessionData } from "../train/session.js";
import { coarseMetricGrid, type MetricGrid } from "../export/latent-files.js";
import { classScores, swissRollScores } from "./dataset-scores.js";
import { geodesicScores, type GeodesicEvalOptions } from "./geodesics.js";
import {
  EVAL_FORMAT,
  EVAL_VERSION,
  type CurvatureStats,
  type GridStats,
  type LatentColouring,
  type LatentExport,
  type LatentField,
  type RunEvaluation,
} from "./eval-file.js";

export interface EvalOptions extends GeodesicEvalOptions {
  /** Called after each phase of the evaluation (progress on stderr in the CLI). */
  onPhase?: (name: string, seconds: number) => void;
  /** Test points for reconstruction and curvature (default 5,000). */
  maxPoints?: number;
  /** Points for trustworthiness, continuity, tearing, rank correlations and k-means (default 2,000; 1,000 when D > 100). */
  knnPoints?: number;
  /** Latent codes stored in latent.json (default 2,000). */
  exportPoints?: number;
  /** Grid cells per axis for d = 2 (default 48; 32 when D > 100, where each curvature point is costly). */
  gridResolution?: number;
  /** Geodesic pairs (default 32, 8 when D > 100: each iteration evaluates g at pairs·16·(1 + 2d) points; 0 skips). */
  geodesicPairs?: number;
  /** Relative energy decrease per iteration below which a geodesic counts as converged (default 1e-6: g is float32). */
  geodesicTol?: number;
  /** Geodesic optimisation iterations at most (default 100, 60 when D > 100). */
  geodesicIter?: number;
  /** Lines of the research's geodesic grid (default 11; 0 skips; skipped by default when D > 100). */
  geodesicGridLines?: number;
  /** Points per logarithmic-chart line of the grid (default 20 as the research, 8 when D > 100). */
  geodesicGridPoints?: number;
  /** Iterations of each grid geodesic solve at most (default 100, 40 when D > 100). */
  geodesicGridIter?: number;
  seed?: number;
}

export interface EvalContext {
  config: TrainConfig;
  session: Session;
  data: SessionData;
  /** Checkpoint step and configHash the session's parameters come from. */
  step: number;
  configHash: string;
}

/** Neighbourhood size and tearing multiple (stated in eval.json). */
const K = 10;
const TEAR_FACTOR = 3;
const CHUNK = 512;

/** R, √det g, the mask and g at latent points z (n × d): by ONNX Runtime where it loads, else tfjs. */
async function geometryAt(session: Session, z: Float64Array, n: number): Promise<PointGeometry> {
  return (await onnxGeometry(session, z, n)) ?? tfjsGeometry(session, z, n);
}

function curvatureStats(geo: PointGeometry): CurvatureStats {
  const R: number[] = [];
  const absR: number[] = [];
  const sq: number[] = [];
  const dens: number[] = [];
  const n = geo.R.length;
  for (let i = 0; i < n; i++) {
    if (!geo.ok[i]) continue;
    const r = geo.R[i]!;
    R.push(r);
    absR.push(Math.abs(r));
    sq.push(geo.sqrtDetG[i]!);
    dens.push(r * r * geo.sqrtDetG[i]!);
  }
  const mean = (a: number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
  const degenerate = n - R.length;
  return {
    n,
    degenerate,
    degenerateShare: n ? degenerate / n : NaN,
    meanR2SqrtDetG: mean(dens),
    medianR2SqrtDetG: summarize(dens).median,
    meanAbsR: mean(absR),
    meanSqrtDetG: mean(sq),
    absR: summarize(absR),
    R: summarize(R),
    sqrtDetG: summarize(sq),
    R2SqrtDetG: summarize(dens),
  };
}

/** Cell centres of a res^d grid over `box`, first axis fastest (values[j·nx + i] for d = 2). */
function gridPoints(box: [number, number][], res: number): Float64Array {
  const d = box.length;
  const total = res ** d;
  const z = new Float64Array(total * d);
  for (let p = 0; p < total; p++) {
    let rest = p;
    for (let a = 0; a < d; a++) {
      const i = rest % res;
      rest = Math.floor(rest / res);
      const [lo, hi] = box[a]!;
      z[p * d + a] = lo + ((i + 0.5) * (hi - lo)) / res;
    }
  }
  return z;
}

const round = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

/** Encode rows [0, n) of x and decode them: codes (float64) and reconstructions. */
function encodeDecode(session: Session, x: Float32Array, n: number): { z: Float64Array; xhat: Float64Array } {
  const D = session.model.outputDim;
  const d = session.latentDim;
  const z = new Float64Array(n * d);
  const xhat = new Float64Array(n * D);
  for (let s = 0; s < n; s += CHUNK) {
    const m = Math.min(CHUNK, n - s);
    const [zc, xc] = readTidy(() => {
      const xb = tf.tensor2d(x.subarray(s * D, (s + m) * D), [m, D]);
      const decW = session.decoder.weights(tf, session.variable("decoder"));
      const zt = session.encode(xb).z;
      return [zt, session.decoder.decoderJets(tf, decW, zt, 0)[0]!];
    });
    z.set(Float64Array.from(zc!), s * d);
    xhat.set(Float64Array.from(xc!), s * D);
  }
  return { z, xhat };
}

/** Seconds per phase, stored in eval.json: where the evaluation's time goes. */
function phaseClock(onPhase: EvalOptions["onPhase"]): { timings: Record<string, number>; phase: (name: string) => void } {
  const timings: Record<string, number> = {};
  let tPhase = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    timings[name] = Number(((now - tPhase) / 1000).toFixed(3));
    tPhase = now;
    onPhase?.(name, timings[name]);
  };
  return { timings, phase };
}

/** Curvature statistics and conformality of the metric at the encoded test points. */
function testGeometry(
  geo: PointGeometry,
  n: number,
  d: number,
): { testStats: CurvatureStats; conformality: RunEvaluation["conformality"] } {
  const testStats = curvatureStats(geo);
  const good = n - testStats.degenerate;
  const goodG = new Float64Array(good * d * d);
  for (let i = 0, j = 0; i < n; i++) if (geo.ok[i]) goodG.set(geo.g.subarray(i * d * d, (i + 1) * d * d), d * d * j++);
  const condSummary = summarize(Array.from(conditionNumbers(goodG, good, d)));
  const conformality = {
    n: good,
    meanConditionNumber: condSummary.mean,
    medianConditionNumber: condSummary.median,
    maxConditionNumber: condSummary.max,
    isometryDistortion: isometryDistortion(goodG, good, d),
  };
  return { testStats, conformality };
}

/** The latent box of the grid: [−π, π]^d on a torus, else the test codes' bounding box. */
function latentBox(z: Float64Array, n: number, d: number, torus: boolean): [number, number][] {
  const box: [number, number][] = [];
  for (let a = 0; a < d; a++) {
    if (torus) {
      box.push([-Math.PI, Math.PI]);
      continue;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = z[i * d + a]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) hi = lo + 1e-6;
    box.push([lo, hi]);
  }
  return box;
}

interface GridCurvature {
  grid: GridStats | null;
  fields: LatentField[];
  /** g on a coarse grid: the pictures' indicatrices (d = 2 only). */
  metricGrid: MetricGrid | null;
}

/** Curvature on a grid over the latent box; for d = 2 also the heatmap fields. */
async function gridCurvature(session: Session, z: Float64Array, n: number, opts: EvalOptions, notes: string[]): Promise<GridCurvature> {
  const d = session.latentDim;
  const D = session.model.outputDim;
  // d = 2: a res² grid of heatmaps; otherwise ≤ 4,096 points of statistics only.
  const res = d === 2 ? (opts.gridResolution ?? (D > 100 ? 32 : 48)) : Math.floor(4096 ** (1 / d) + 1e-9);
  if (d !== 2)
    notes.push(`latent dimension ${d}: no heatmaps (they need d = 2)${res >= 2 ? `; grid statistics on a ${res}^${d} grid` : ""}`);
  if (res < 2) return { grid: null, fields: [], metricGrid: null };
  const torus = session.torus;
  const box = latentBox(z, n, d, torus);
  const gn = res ** d;
  const ggeo = await geometryAt(session, gridPoints(box, res), gn);
  const cell = box.reduce((v, [lo, hi]) => v * ((hi - lo) / res), 1);
  let integral = 0;
  for (let i = 0; i < gn; i++) if (ggeo.ok[i]) integral += ggeo.R[i]! ** 2 * ggeo.sqrtDetG[i]! * cell;
  const grid: GridStats = {
    ...curvatureStats(ggeo),
    resolution: res,
    box,
    boxSource: torus ? "torus" : "test-codes",
    integralR2: integral,
  };
  if (d !== 2) return { grid, fields: [], metricGrid: null };
  const extent: [number, number, number, number] = [box[0]![0], box[0]![1], box[1]![0], box[1]![1]];
  const field = (key: LatentField["key"], f: (i: number) => number): LatentField => ({
    key,
    nx: res,
    ny: res,
    extent,
    values: Array.from({ length: gn }, (_, i) => (ggeo.ok[i] ? round(f(i)) : null)),
  });
  const fields = [
    field("R", (i) => ggeo.R[i]!),
    field("sqrtDetG", (i) => ggeo.sqrtDetG[i]!),
    field("R2SqrtDetG", (i) => ggeo.R[i]! ** 2 * ggeo.sqrtDetG[i]!),
  ];
  return { grid, fields, metricGrid: coarseMetricGrid(ggeo.g, ggeo.ok, res, extent) };
}

/** Trustworthiness, continuity and tearing on the first m points (O(m²)); null when m ≤ 2K. */
function neighbourhoodScores(
  x: Float64Array,
  z: Float64Array,
  m: number,
  D: number,
  d: number,
  notes: string[],
): RunEvaluation["neighbourhood"] {
  if (2 * K >= m) {
    notes.push(`only ${m} test points: no trustworthiness/continuity/tearing (they need more than ${2 * K})`);
    return null;
  }
  const nb = neighbourhoodPreservation(x, z, m, D, d, K);
  const tear = tearing(x, z, m, D, d, { k: K, factor: TEAR_FACTOR });
  return { n: m, k: K, trustworthiness: nb.trustworthiness, continuity: nb.continuity, tearing: tear };
}

interface ScoredCodes {
  session: Session;
  test: SessionData["test"];
  /** All n evaluated codes, and the metric there. */
  z: Float64Array;
  n: number;
  geo: PointGeometry;
  /** The first m of them (the capped subset). */
  m: number;
  seed: number;
}

/** Dataset-specific scores from the ground truth the dataset carries (Swiss roll; labelled clouds). */
function datasetScores(c: ScoredCodes): Pick<RunEvaluation, "swissRoll" | "classes"> {
  const { session, test, z, n, m, geo } = c;
  const d = session.latentDim;
  const zm = z.subarray(0, m * d);
  const truth = test.truth;
  const truthCol = (name: string): Float64Array | null => {
    const col = truth ? truth.names.indexOf(name) : -1;
    if (!truth || col < 0) return null;
    const k = truth.names.length;
    return Float64Array.from({ length: m }, (_, i) => truth.values[i * k + col]!);
  };
  const tt = truthCol("t");
  const th = truthCol("height");
  const swissRoll = tt && th ? swissRollScores(zm, m, d, tt, th, session.torus) : null;
  if (!test.labels) return { swissRoll, classes: null };
  const s1 = truthCol("s1");
  const s2 = truthCol("s2");
  let inPlane: Float64Array | null = null;
  if (s1 && s2 && d === 2) {
    inPlane = new Float64Array(m * 2);
    for (let i = 0; i < m; i++) {
      inPlane[2 * i] = s1[i]!;
      inPlane[2 * i + 1] = s2[i]!;
    }
  }
  const classes = classScores({
    z: zm,
    m,
    labels: test.labels.subarray(0, m),
    zAll: z,
    nAll: n,
    labelsAll: test.labels.subarray(0, n),
    g: geo.g,
    ok: geo.ok,
    inPlane,
    d,
    torus: session.torus,
    seed: c.seed,
  });
  return { swissRoll, classes };
}

type MetricParts = Pick<
  RunEvaluation,
  "reconstruction" | "conformality" | "neighbourhood" | "swissRoll" | "classes" | "geodesic" | "geodesicGrid"
> & {
  testStats: CurvatureStats;
  grid: GridStats | null;
};

/** The flat headline metrics of eval.json (what `report` tabulates). */
function headlineMetrics(p: MetricParts): Record<string, number | null> {
  const { testStats, conformality, grid, neighbourhood, swissRoll, classes } = p;
  const metrics: Record<string, number | null> = {
    test_mse: p.reconstruction.mse,
    test_r2: p.reconstruction.r2,
    test_r2_pooled: p.reconstruction.r2Pooled,
    mean_R2_sqrt_detg: testStats.meanR2SqrtDetG,
    median_R2_sqrt_detg: testStats.medianR2SqrtDetG,
    mean_abs_R: testStats.meanAbsR,
    median_abs_R: testStats.absR.median,
    q95_abs_R: testStats.absR.q95,
    mean_sqrt_detg: testStats.meanSqrtDetG,
    degenerate_share: testStats.degenerateShare,
    condition_number: conformality.medianConditionNumber,
    mean_condition_number: conformality.meanConditionNumber,
    isometry_distortion: conformality.isometryDistortion,
  };
  if (grid) {
    metrics["grid_mean_R2_sqrt_detg"] = grid.meanR2SqrtDetG;
    metrics["grid_median_R2_sqrt_detg"] = grid.medianR2SqrtDetG;
    metrics["grid_mean_abs_R"] = grid.meanAbsR;
    metrics["integral_R2_dmu"] = grid.integralR2;
  }
  if (neighbourhood) {
    metrics["trustworthiness"] = neighbourhood.trustworthiness;
    metrics["continuity"] = neighbourhood.continuity;
    metrics["tearing"] = neighbourhood.tearing.share;
  }
  if (swissRoll) {
    metrics["spearman_t"] = swissRoll.t;
    metrics["spearman_height"] = swissRoll.height;
    if (swissRoll.rotation) {
      metrics["rotation_spearman_t"] = swissRoll.rotation.goal.t;
      metrics["rotation_spearman_height"] = swissRoll.rotation.goal.height;
      metrics["unroll_score"] = swissRoll.rotation.goal.score;
    }
    if (swissRoll.knnOverlap) {
      metrics["knn_overlap_t_height"] = swissRoll.knnOverlap.tHeight;
      metrics["knn_overlap_arclength"] = swissRoll.knnOverlap.arcLengthHeight;
      metrics["knn_overlap_t_height_exact_unrolling"] = swissRoll.knnOverlap.unrolledTHeight;
    }
  }
  if (classes) {
    metrics["cloud_condition_number"] = classes.meanConditionNumber;
    metrics["eigen_ratio"] = classes.meanEigenRatio;
    metrics["cloud_eigen_ratio_min"] = classes.minEigenRatio;
    metrics["cloud_mean_condition_number_max"] = classes.maxMeanConditionNumber;
    if (classes.meanProcrustesError !== null) metrics["procrustes_error"] = classes.meanProcrustesError;
    metrics["kmeans_f1_class_max"] = classes.kmeansF1ClassMax;
    metrics["kmeans_f_pairCounting"] = classes.pairCounting.mean;
  }
  if (p.geodesic) metrics["geodesic_ratio"] = p.geodesic.meanRatio;
  if (p.geodesicGrid) metrics["geodesic_ratio_grid"] = p.geodesicGrid.meanRatio;
  return metrics;
}

/** latent.json: the first e codes, their colourings (labels, ground truth) and the grid's fields. */
function latentExport(
  ctx: EvalContext,
  z: Float64Array,
  n: number,
  exportPoints: number | undefined,
  gridPart: GridCurvature,
): LatentExport {
  const { config, session, data } = ctx;
  const d = session.latentDim;
  const test = data.test;
  const e = Math.min(n, exportPoints ?? 2000);
  const colours: LatentColouring[] = [];
  if (test.labels) colours.push({ kind: "categorical", name: labelName(config), values: Array.from(test.labels.subarray(0, e)) });
  const truth = test.truth;
  if (truth) {
    const k = truth.names.length;
    for (const [c, name] of truth.names.entries()) {
      if (name === "s1" || name === "s2") continue; // in-plane coordinates: not a useful colouring
      colours.push({ kind: "continuous", name, values: Array.from({ length: e }, (_, i) => round(truth.values[i * k + c]!) ?? NaN) });
    }
  }
  return {
    format: "ricci-gen-latent",
    version: 1,
    step: ctx.step,
    dim: d,
    n: e,
    z: Array.from(z.subarray(0, e * d), (v) => round(v) ?? NaN),
    colours,
    fields: gridPart.fields,
    ...(gridPart.metricGrid ? { metricGrid: gridPart.metricGrid } : {}),
  };
}

/** Evaluate the session's current parameters on the run's test data. */
export async function evaluateRun(ctx: EvalContext, opts: EvalOptions = {}): Promise<{ evaluation: RunEvaluation; latent: LatentExport }> {
  const t0 = performance.now();
  const { config, session, data } = ctx;
  const test = data.test;
  const D = session.model.outputDim;
  const d = session.latentDim;
  const notes: string[] = [];
  if (test.n < 2) throw new UserError("split.test", `the run has ${test.n} test points: evaluation needs held-out data (split.test > 0)`);
  const n = Math.min(test.n, opts.maxPoints ?? 5000);
  if (n < test.n) notes.push(`evaluated on the first ${n} of ${test.n} test points`);
  const x = Float64Array.from(data.testX.subarray(0, n * D));
  const { timings, phase } = phaseClock(opts.onPhase);

  const { z, xhat } = encodeDecode(session, data.testX, n);
  const reconstruction = { mse: mse(x, xhat, n, D), r2: r2(x, xhat, n, D), r2Pooled: r2Pooled(x, xhat, n, D) };
  phase("reconstruction");

  const geo = await geometryAt(session, z, n);
  const { testStats, conformality } = testGeometry(geo, n, d);
  phase("curvatureTest");

  const gridPart = await gridCurvature(session, z, n, opts, notes);
  const { grid } = gridPart;
  const eps = config.loss.detEpsilon;
  if (testStats.degenerate > 0)
    notes.push(`${testStats.degenerate} of ${n} test points are degenerate (det g ≤ ${eps}): excluded from the curvature statistics`);
  if (grid && grid.degenerate > 0) notes.push(`${grid.degenerate} of ${grid.n} grid points are degenerate (det g ≤ ${eps})`);
  phase("curvatureGrid");

  // The O(n²) scores on a capped subset.
  const m = Math.min(n, opts.knnPoints ?? (D > 100 ? 1000 : 2000));
  const zm = z.subarray(0, m * d);
  const neighbourhood = neighbourhoodScores(x.subarray(0, m * D), zm, m, D, d, notes);
  phase("neighbourhood");

  const { swissRoll, classes } = datasetScores({ session, test, z, n, geo, m, seed: opts.seed ?? 0 });
  phase("datasetScores");

  // Geodesic length ratios: ours between random pairs of codes, the research's on a grid.
  const { geodesic, geodesicGrid } = await geodesicScores(session, zm, m, grid ? grid.box : null, opts, notes, phase);
  const metrics = headlineMetrics({
    reconstruction,
    testStats,
    conformality,
    grid,
    neighbourhood,
    swissRoll,
    classes,
    geodesic,
    geodesicGrid,
  });

  const evaluation: RunEvaluation = {
    format: EVAL_FORMAT,
    version: EVAL_VERSION,
    name: config.name,
    createdAt: new Date().toISOString(),
    step: ctx.step,
    configHash: ctx.configHash,
    backend: tf.getBackend(),
    elapsedSec: (performance.now() - t0) / 1000,
    timings,
    dataset: test.name.replace(/\/test$/, ""),
    latent: { dim: d, torus: session.torus },
    testPoints: test.n,
    evaluatedPoints: n,
    reconstruction,
    curvature: {
      detEpsilon: eps,
      route: config.loss.route,
      test: testStats,
      grid,
      medianConditionNumber: conformality.medianConditionNumber,
    },
    conformality,
    neighbourhood,
    swissRoll,
    classes,
    geodesic,
    geodesicGrid,
    metrics,
    notes,
  };
  return { evaluation, latent: latentExport(ctx, z, n, opts.exportPoints, gridPart) };
}

function labelName(config: TrainConfig): string {
  const kind = (config.dataset as { kind?: string }).kind;
  return kind === "gaussians" ? "cloud" : kind === "mnist" ? "digit" : "class";
}
