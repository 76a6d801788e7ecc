/** Neighbourhood-preservation metrics between data X (n×dx) and its latent codes Z (n×dz). */
import { blockRows, knn, ranksInRow, selectNearest, squaredDistanceBlock } from "./knn.js";

export interface NeighbourhoodScores {
  trustworthiness: number;
  continuity: number;
  k: number;
}

/**
 * Trustworthiness and continuity at k (Venna & Kaski 2001/2006). With r_X(i, j) the rank of j
 * among i's neighbours by data-space distance (1 = nearest) and r_Z the same in latent space,
 * N^X_k(i), N^Z_k(i) the k-nearest-neighbour sets:
 *
 *   T(k) = 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ N^Z_k(i) \ N^X_k(i)} (r_X(i, j) − k)
 *   C(k) = 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ N^X_k(i) \ N^Z_k(i)} (r_Z(i, j) − k)
 *
 * T penalises latent neighbours that are far in the data (false neighbours), C data neighbours
 * that the latent space separates. Both lie in [0, 1] for k < n/2; 1 = neighbourhoods preserved.
 * Ties are broken by index. Computed in one blocked pass, O(n²(dx + dz)) time, O(block·n) memory.
 */
export function neighbourhoodPreservation(
  x: Float64Array,
  z: Float64Array,
  n: number,
  dx: number,
  dz: number,
  k = 10,
): NeighbourhoodScores {
  if (!(k >= 1 && 2 * k < n)) throw new RangeError(`trustworthiness: need 1 ≤ k < n/2, got k = ${k}, n = ${n}`);
  const b = Math.min(blockRows(dx, n), blockRows(dz, n));
  const bufX = new Float64Array(b * n);
  const bufZ = new Float64Array(b * n);
  const nnX = new Int32Array(k);
  const nnZ = new Int32Array(k);
  let sumT = 0;
  let sumC = 0;
  for (let start = 0; start < n; start += b) {
    const end = Math.min(n, start + b);
    squaredDistanceBlock(x, n, dx, start, end, bufX);
    squaredDistanceBlock(z, n, dz, start, end, bufZ);
    for (let i = start; i < end; i++) {
      const rowX = bufX.subarray((i - start) * n, (i - start + 1) * n);
      const rowZ = bufZ.subarray((i - start) * n, (i - start + 1) * n);
      selectNearest(rowX, i, k, nnX);
      selectNearest(rowZ, i, k, nnZ);
      for (const r of ranksInRow(
        rowX,
        i,
        [...nnZ].filter((j) => !nnX.includes(j)),
      ))
        sumT += r - k;
      for (const r of ranksInRow(
        rowZ,
        i,
        [...nnX].filter((j) => !nnZ.includes(j)),
      ))
        sumC += r - k;
    }
  }
  const norm = 2 / (n * k * (2 * n - 3 * k - 1));
  return { trustworthiness: 1 - norm * sumT, continuity: 1 - norm * sumC, k };
}

/** Trustworthiness T(k); see `neighbourhoodPreservation`. */
export function trustworthiness(x: Float64Array, z: Float64Array, n: number, dx: number, dz: number, k = 10): number {
  return neighbourhoodPreservation(x, z, n, dx, dz, k).trustworthiness;
}

/** Continuity C(k); see `neighbourhoodPreservation`. */
export function continuity(x: Float64Array, z: Float64Array, n: number, dx: number, dz: number, k = 10): number {
  return neighbourhoodPreservation(x, z, n, dx, dz, k).continuity;
}

export interface TearingScore {
  share: number;
  factor: number;
  k: number;
}

/**
 * Tearing score: over the n·k directed data-space kNN pairs (i, j), j among the k nearest
 * neighbours of x_i, the share whose latent distance |z_i − z_j| exceeds factor × the median
 * latent distance of those same pairs. 0 = no data neighbours torn apart in the latent space.
 * Invariant to a uniform scaling of Z.
 */
export function tearing(
  x: Float64Array,
  z: Float64Array,
  n: number,
  dx: number,
  dz: number,
  options: { k?: number; factor?: number } = {},
): TearingScore {
  const k = options.k ?? 10;
  const factor = options.factor ?? 3;
  const { index } = knn(x, n, dx, k);
  const lat = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      const j = index[i * k + r]!;
      let s = 0;
      for (let c = 0; c < dz; c++) s += (z[i * dz + c]! - z[j * dz + c]!) ** 2;
      lat[i * k + r] = Math.sqrt(s);
    }
  }
  const sorted = lat.slice().sort();
  const m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2]! : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
  let torn = 0;
  for (const v of lat) if (v > factor * median) torn++;
  return { share: torn / m, factor, k };
}
