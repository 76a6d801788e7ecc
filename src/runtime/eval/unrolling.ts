/**
 * Has the Swiss roll been unrolled? The poster's goal metrics for a 2-d latent z against the roll's
 * ground truth (t, height): the best rotation of the latent plane for rank correlations, and the
 * overlap of k-nearest-neighbour sets between the latent and a true chart.
 */
import { wrapAngle } from "./clusters.js";
import { selectNearest } from "./knn.js";
import { pearson, ranks } from "./rank.js";

/** Spearman targets of the poster: one axis with t, the orthogonal one with the height. */
export const UNROLL_TARGETS = { t: 0.97, height: 0.9 } as const;

export interface RotationScores {
  /** Angle of the first latent axis, (cos θ, sin θ); the second is (−sin θ, cos θ). */
  theta: number;
  /** |Spearman ρ| of the first axis with t. */
  t: number;
  /** |Spearman ρ| of the second (orthogonal) axis with the height. */
  height: number;
  /** min(t / 0.97, height / 0.90): ≥ 1 when both targets are met at this rotation. */
  score: number;
}

export interface BestRotation {
  /** The rotation maximising |ρ(axis₁, t)|, with both correlations there. */
  atBestT: RotationScores;
  /** The rotation maximising min(|ρ(axis₁, t)| / 0.97, |ρ(axis₂, height)| / 0.90). */
  goal: RotationScores;
  steps: number;
}

/**
 * Rotations θ = iπ/steps, i = 0 … steps − 1, of the latent plane (z: n×2); θ and θ + π/2 swap the
 * axes' roles up to sign, so both assignments of (t, height) to the axes are covered.
 */
export function bestRotation(z: Float64Array, n: number, t: ArrayLike<number>, height: ArrayLike<number>, steps = 360): BestRotation {
  const rt = ranks(t);
  const rh = ranks(height);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  let atBestT: RotationScores | null = null;
  let goal: RotationScores | null = null;
  for (let s = 0; s < steps; s++) {
    const theta = (s * Math.PI) / steps;
    const c = Math.cos(theta);
    const sn = Math.sin(theta);
    for (let i = 0; i < n; i++) {
      p[i] = c * z[2 * i]! + sn * z[2 * i + 1]!;
      q[i] = -sn * z[2 * i]! + c * z[2 * i + 1]!;
    }
    const rhoT = Math.abs(pearson(ranks(p), rt)) || 0;
    const rhoH = Math.abs(pearson(ranks(q), rh)) || 0;
    const here = { theta, t: rhoT, height: rhoH, score: Math.min(rhoT / UNROLL_TARGETS.t, rhoH / UNROLL_TARGETS.height) };
    if (!atBestT || here.t > atBestT.t) atBestT = here;
    if (!goal || here.score > goal.score) goal = here;
  }
  return { atBestT: atBestT!, goal: goal!, steps };
}

/** Arc length of the roll's spiral (t cos t, t sin t) from 0 to t: ½(t√(1 + t²) + asinh t). */
export function rollArcLength(t: number): number {
  return 0.5 * (t * Math.sqrt(1 + t * t) + Math.asinh(t));
}

/** The k nearest neighbours of every row (self excluded, ties by index); torus: wrapped differences. */
export function neighbourSets(x: Float64Array, n: number, dim: number, k: number, torus: boolean): Int32Array {
  const out = new Int32Array(n * k);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < dim; a++) {
        const v = x[i * dim + a]! - x[j * dim + a]!;
        s += (torus ? wrapAngle(v) : v) ** 2;
      }
      row[j] = s;
    }
    selectNearest(row, i, k, out, i * k);
  }
  return out;
}

/**
 * Mean over the n points of |N_a(i) ∩ N_b(i)| / k, N the k nearest neighbours (Euclidean; for
 * `torusA`, a's differences wrapped to (−π, π]). 1 = the same neighbourhoods in both. O(n²·(da + db)).
 */
export function knnOverlap(a: Float64Array, da: number, b: Float64Array, db: number, n: number, k = 10, torusA = false): number {
  if (!(k >= 1 && k < n)) throw new RangeError(`knnOverlap: need 1 ≤ k < n, got k = ${k}, n = ${n}`);
  return setOverlap(neighbourSets(a, n, da, k, torusA), neighbourSets(b, n, db, k, false), n, k);
}

/** Mean over the n points of |A(i) ∩ B(i)| / k for two neighbourSets results. */
export function setOverlap(na: Int32Array, nb: Int32Array, n: number, k: number): number {
  let shared = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(na.subarray(i * k, (i + 1) * k));
    for (let r = 0; r < k; r++) if (set.has(nb[i * k + r]!)) shared++;
  }
  return shared / (n * k);
}
