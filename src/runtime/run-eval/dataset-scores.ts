/**
 * Dataset-specific scores of an evaluation, from the ground truth each dataset keeps per row: the
 * Swiss roll's t and height (rank correlations, best rotation, k-NN overlap with the true chart) and
 * class labels (per-class geometry, the Gaussian clouds' in-plane truth, k-means scores).
 */
import {
  bestRotation,
  conditionNumbers,
  eigenRatio,
  fMeasure,
  gaussianCloudMetrics,
  kmeans,
  kmeansPairCountingF,
  neighbourSets,
  rollArcLength,
  setOverlap,
  summarize,
  swissRollCorrelation,
} from "../eval/index.js";
import type { CloudStats, RunEvaluation } from "./eval-file.js";

/** Neighbourhood size of the k-NN overlap. */
const K_OVERLAP = 10;

const meanOf = (a: ArrayLike<number>): number => {
  const f = Array.from(a).filter((v) => Number.isFinite(v));
  return f.length ? f.reduce((s, v) => s + v, 0) / f.length : NaN;
};

/** Swiss roll scores on m codes z (m×d) with truth columns t and height. */
export function swissRollScores(
  z: Float64Array,
  m: number,
  d: number,
  t: Float64Array,
  height: Float64Array,
  torus: boolean,
): NonNullable<RunEvaluation["swissRoll"]> {
  const rotation = d === 2 ? bestRotation(z, m, t, height) : null;
  let knnOverlapScores: { k: number; tHeight: number; arcLengthHeight: number; unrolledTHeight: number } | null = null;
  if (m > K_OVERLAP) {
    const chart = new Float64Array(2 * m);
    const unrolled = new Float64Array(2 * m);
    for (let i = 0; i < m; i++) {
      chart[2 * i] = t[i]!;
      chart[2 * i + 1] = height[i]!;
      unrolled[2 * i] = rollArcLength(t[i]!);
      unrolled[2 * i + 1] = height[i]!;
    }
    const [codeSets, chartSets, unrolledSets] = [
      neighbourSets(z, m, d, K_OVERLAP, torus),
      neighbourSets(chart, m, 2, K_OVERLAP, false),
      neighbourSets(unrolled, m, 2, K_OVERLAP, false),
    ];
    knnOverlapScores = {
      k: K_OVERLAP,
      tHeight: setOverlap(codeSets, chartSets, m, K_OVERLAP),
      arcLengthHeight: setOverlap(codeSets, unrolledSets, m, K_OVERLAP),
      // The exact (distortion-free) unrolling's own overlap with (t, height): the most that an isometric chart can reach there.
      unrolledTHeight: setOverlap(unrolledSets, chartSets, m, K_OVERLAP),
    };
  }
  return { n: m, ...swissRollCorrelation(z, m, d, t, height), rotation, knnOverlap: knnOverlapScores };
}

export interface ClassInputs {
  /** Codes for the per-class geometry and our k-means score (m×d), with their labels. */
  z: Float64Array;
  m: number;
  labels: Int32Array;
  /** All evaluated codes (n×d) and labels, from which the pair-counting draws sample. */
  zAll: Float64Array;
  nAll: number;
  labelsAll: Int32Array;
  /** n×d×d metric at zAll and its non-degenerate mask (the first m rows are z's). */
  g: Float64Array;
  ok: Uint8Array;
  /** Gaussian clouds' in-plane truth (m×2), when present and d = 2. */
  inPlane: Float64Array | null;
  d: number;
  torus: boolean;
  seed: number;
}

/** Per-class geometry and both k-means scores. */
export function classScores(c: ClassInputs): NonNullable<RunEvaluation["classes"]> {
  const { z, m, labels, d } = c;
  const distinct = [...new Set(labels)].sort((a, b) => a - b);
  const cloudTruth = c.inPlane ? gaussianCloudMetrics(z, c.inPlane, labels, m, d) : null;
  const clouds: CloudStats[] = distinct.map((label) => {
    const rows = [...labels.keys()].filter((i) => labels[i] === label);
    const zc = new Float64Array(rows.length * d);
    rows.forEach((r, j) => zc.set(z.subarray(r * d, (r + 1) * d), j * d));
    const good = rows.filter((r) => c.ok[r]);
    const gc = new Float64Array(good.length * d * d);
    good.forEach((r, j) => gc.set(c.g.subarray(r * d * d, (r + 1) * d * d), j * d * d));
    const cc = conditionNumbers(gc, good.length, d);
    const truthClass = cloudTruth?.classes.find((k) => k.label === label);
    return {
      label,
      size: rows.length,
      medianConditionNumber: summarize(cc).median,
      meanConditionNumber: meanOf(cc),
      maxConditionNumber: summarize(cc).max,
      latentEigenRatio: rows.length > d ? eigenRatio(zc, rows.length, d) : NaN,
      procrustesError: truthClass ? truthClass.procrustesError : null,
      trueEigenRatio: truthClass ? truthClass.trueRatio : null,
    };
  });
  const km = distinct.length >= 1 ? kmeans(z, m, d, distinct.length, { seed: c.seed, restarts: 5, torus: c.torus }) : null;
  const finite = (a: number[]): number[] => a.filter((v) => Number.isFinite(v));
  return {
    n: m,
    clouds,
    meanConditionNumber: meanOf(clouds.map((k) => k.medianConditionNumber)),
    meanEigenRatio: meanOf(clouds.map((k) => k.latentEigenRatio)),
    minEigenRatio: Math.min(...finite(clouds.map((k) => k.latentEigenRatio))),
    maxMeanConditionNumber: Math.max(...finite(clouds.map((k) => k.meanConditionNumber))),
    meanProcrustesError: cloudTruth ? cloudTruth.meanProcrustesError : null,
    kmeansF1ClassMax: km ? fMeasure(labels, km.labels) : NaN,
    pairCounting: kmeansPairCountingF(c.zAll, c.labelsAll, c.nAll, d, { seed: c.seed, torus: c.torus }),
  };
}
