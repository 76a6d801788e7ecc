/**
 * Conformality and isometry diagnostics of a latent metric sampled at n points (g: n×d×d,
 * row-major per point): the condition number of g (1 = conformal: angles preserved) and the
 * relaxed distortion measure of IRVAE (Lee et al., ICLR 2022; 0 = isometric up to one global scale).
 */
import { conditionNumber } from "./linalg.js";

/** cond(g_i) = λmax/λmin at every point (Infinity where g is singular, NaN where it has NaN). */
export function conditionNumbers(g: Float64Array, n: number, d: number): Float64Array {
  const dd = d * d;
  return Float64Array.from({ length: n }, (_, i) => {
    const gi = g.subarray(i * dd, (i + 1) * dd);
    return gi.some((v) => Number.isNaN(v)) ? NaN : conditionNumber(gi, d);
  });
}

/**
 * IRVAE's relaxed distortion d · mean Tr(G²) / (mean Tr G)² − 1 over the points (G = g_i). By
 * Cauchy–Schwarz it is ≥ 0, with equality iff every g_i = c·I for one constant c: the decoder is an
 * isometry up to a global scale. Points with a non-finite entry are skipped (NaN if none is left).
 */
export function isometryDistortion(g: Float64Array, n: number, d: number): number {
  const dd = d * d;
  let trG = 0;
  let trG2 = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const gi = g.subarray(i * dd, (i + 1) * dd);
    if (!gi.every((v) => Number.isFinite(v))) continue;
    let t = 0;
    let t2 = 0;
    for (let a = 0; a < d; a++) {
      t += gi[a * d + a]!;
      // Tr(G²) = Σ_ab G_ab G_ba = Σ_ab G_ab² for symmetric G.
      for (let b = 0; b < d; b++) t2 += gi[a * d + b]! * gi[b * d + a]!;
    }
    trG += t;
    trG2 += t2;
    m++;
  }
  if (m === 0 || trG === 0) return NaN;
  return (d * (trG2 / m)) / (trG / m) ** 2 - 1;
}
