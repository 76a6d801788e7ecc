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

  // Seconds per phase, stored in eval.json: where the evaluation's time goes.
  const timings: Record<string, number> = {};
  let tPhase = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    timings[name] = Number(((now - tPhase) / 1000).toFixed(3));
    tPhase = now;
    opts.onPhase?.(name, timings[name]);
  };

  // Reconstruction and codes.
  const { z, xhat } = encodeDecode(session, data.testX, n);
  const reconstruction = { mse: mse(x, xhat, n, D), r2: r2(x, xhat, n, D), r2Pooled: r2Pooled(x, xhat, n, D) };

  phase("reconstruction");
  // Curvature at the encoded test points.
  const geo = await geometryAt(session, z, n);
  const testStats = curvatureStats(geo);
  const goodG = new Float64Array((n - testStats.degenerate) * d * d);
  for (let i = 0, j = 0; i < n; i++) if (geo.ok[i]) goodG.set(geo.g.subarray(i * d * d, (i + 1) * d * d), d * d * j++);
  const conds = Array.from(conditionNumbers(goodG, n - testStats.degenerate, d));
  const condSummary = summarize(conds);
  const conformality = {
    n: n - testStats.degenerate,
    meanConditionNumber: condSummary.mean,
    medianConditionNumber: condSummary.median,
    maxConditionNumber: condSummary.max,
    isometryDistortion: isometryDistortion(goodG, n - testStats.degenerate, d),
  };

  phase("curvatureTest");
  // Curvature on a grid over the latent box.
  let grid: GridStats | null = null;
  const fields: LatentField[] = [];
  let metricGrid: MetricGrid | null = null; // g on a coarse grid: the pictures' indicatrices
  const res = d === 2 ? (opts.gridResolution ?? (D > 100 ? 32 : 48)) : Math.floor(4096 ** (1 / d) + 1e-9); // ≤ 4,096 points (no heatmaps for d ≠ 2)
  if (d !== 2)
    notes.push(`latent dimension ${d}: no heatmaps (they need d = 2)${res >= 2 ? `; grid statistics on a ${res}^${d} grid` : ""}`);
  if (res >= 2) {
    const torus = session.torus;
    const box: [number, number][] = [];
    for (let a = 0; a < d; a++) {
      if (torus) box.push([-Math.PI, Math.PI]);
      else {
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
    }
    const gz = gridPoints(box, res);
    const gn = res ** d;
    const ggeo = await geometryAt(session, gz, gn);
    const stats = curvatureStats(ggeo);
    const cell = box.reduce((v, [lo, hi]) => v * ((hi - lo) / res), 1);
    let integral = 0;
    for (let i = 0; i < gn; i++) if (ggeo.ok[i]) integral += ggeo.R[i]! ** 2 * ggeo.sqrtDetG[i]! * cell;
    grid = { ...stats, resolution: res, box, boxSource: torus ? "torus" : "test-codes", integralR2: integral };
    if (d === 2) {
      const extent: [number, number, number, number] = [box[0]![0], box[0]![1], box[1]![0], box[1]![1]];
      const field = (key: LatentField["key"], f: (i: number) => number): LatentField => ({
        key,
        nx: res,
        ny: res,
        extent,
        values: Array.from({ length: gn }, (_, i) => (ggeo.ok[i] ? round(f(i)) : null)),
      });
      fields.push(
        field("R", (i) => ggeo.R[i]!),
        field("sqrtDetG", (i) => ggeo.sqrtDetG[i]!),
        field("R2SqrtDetG", (i) => ggeo.R[i]! ** 2 * ggeo.sqrtDetG[i]!),
      );
      metricGrid = coarseMetricGrid(ggeo.g, ggeo.ok, res, extent);
    }
  }
  if (testStats.degenerate > 0)
    notes.push(
      `${testStats.degenerate} of ${n} test points are degenerate (det g ≤ ${config.loss.detEpsilon}): excluded from the curvature statistics`,
    );
  if (grid && grid.degenerate > 0)
    notes.push(`${grid.degenerate} of ${grid.n} grid points are degenerate (det g ≤ ${config.loss.detEpsilon})`);

  phase("curvatureGrid");
  // Neighbourhood preservation on a capped subset (O(n²)).
  const m = Math.min(n, opts.knnPoints ?? (D > 100 ? 1000 : 2000));
  const xm = x.subarray(0, m * D);
  const zm = z.subarray(0, m * d);
  let neighbourhood: RunEvaluation["neighbourhood"] = null;
  if (2 * K < m) {
    const nb = neighbourhoodPreservation(xm, zm, m, D, d, K);
    const tear = tearing(xm, zm, m, D, d, { k: K, factor: TEAR_FACTOR });
    neighbourhood = { n: m, k: K, trustworthiness: nb.trustworthiness, continuity: nb.continuity, tearing: tear };
  } else notes.push(`only ${m} test points: no trustworthiness/continuity/tearing (they need more than ${2 * K})`);

  phase("neighbourhood");
  // Dataset-specific scores, from the ground truth the dataset carries.
  const truth = test.truth;
  const truthCol = (name: string): Float64Array | null => {
    if (!truth) return null;
    const c = truth.names.indexOf(name);
    if (c < 0) return null;
    const k = truth.names.length;
    return Float64Array.from({ length: m }, (_, i) => truth.values[i * k + c]!);
  };
  let swissRoll: RunEvaluation["swissRoll"] = null;
  const tt = truthCol("t");
  const th = truthCol("height");
  if (tt && th) swissRoll = swissRollScores(zm, m, d, tt, th, session.torus);

  let classes: RunEvaluation["classes"] = null;
  if (test.labels) {
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
    classes = classScores({
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
      seed: opts.seed ?? 0,
    });
  }

  phase("datasetScores");
  // Geodesic length ratios: ours between random pairs of codes, the research's on a grid.
  const { geodesic, geodesicGrid } = await geodesicScores(session, zm, m, grid ? grid.box : null, opts, notes, phase);

  const metrics: Record<string, number | null> = {
    test_mse: reconstruction.mse,
    test_r2: reconstruction.r2,
    test_r2_pooled: reconstruction.r2Pooled,
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
  if (geodesic) metrics["geodesic_ratio"] = geodesic.meanRatio;
  if (geodesicGrid) metrics["geodesic_ratio_grid"] = geodesicGrid.meanRatio;

  // Latent codes and colourings for the pictures.
  const e = Math.min(n, opts.exportPoints ?? 2000);
  const colours: LatentColouring[] = [];
  if (test.labels) colours.push({ kind: "categorical", name: labelName(config), values: Array.from(test.labels.subarray(0, e)) });
  if (truth) {
    const k = truth.names.length;
    for (const [c, name] of truth.names.entries()) {
      if (name === "s1" || name === "s2") continue; // in-plane coordinates: not a useful colouring
      colours.push({ kind: "continuous", name, values: Array.from({ length: e }, (_, i) => round(truth.values[i * k + c]!) ?? NaN) });
    }
  }
  const latent: LatentExport = {
    format: "ricci-gen-latent",
    version: 1,
    step: ctx.step,
    dim: d,
    n: e,
    z: Array.from(z.subarray(0, e * d), (v) => round(v) ?? NaN),
    colours,
    fields,
    ...(metricGrid ? { metricGrid } : {}),
  };

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
      detEpsilon: config.loss.detEpsilon,
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
  return { evaluation, latent };
}

function labelName(config: TrainConfig): string {
  const kind = (config.dataset as { kind?: string }).kind;
  return kind === "gaussians" ? "cloud" : kind === "mnist" ? "digit" : "class";
}
