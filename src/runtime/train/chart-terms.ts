/**
 * The chart-fixing terms from the pullback metrics G_p (n × d × d) at the regulariser points, in
 * float64 on the host, with A_p = ∂L/∂G_p for L = λ_iso·isometry + λ_vol·volume + λ_conf·
 * conformality. The webgpu engine reads G back from the device (emit/wgsl-chart.ts), and writes A
 * for the adjoint. Definitions as in losses.ts `chartTerms` (t_p = Tr G_p, s_p = Tr G_p², T and S
 * their batch means, ℓ_p = ½ log max(det G_p, ε)):
 *
 *   isometry      d·S/T² − 1               ∂/∂G_p = (2d/n)·(G_p/T² − (S/T³)·I)
 *   conformality  mean_p (d·s_p/t_p² − 1)  ∂/∂G_p = (2d/n)·(G_p/t_p² − (s_p/t_p³)·I)
 *   volume        mean_p (ℓ_p − ℓ̄)²        ∂/∂G_p = (2/n)(ℓ_p − ℓ̄)·½ G_p⁻¹   (0 where det G_p ≤ ε)
 *
 * A_p is the derivative with respect to the full symmetric matrix (each G_ij on its own), so the
 * device's jet adjoint is ∂L/∂(∂_iΨ) = 2 Σ_j A_ij ∂_jΨ.
 */

import { inverseAndDeterminant } from "../eval/linalg.js";

export interface ChartWeights {
  isometry: number;
  volume: number;
  conformality: number;
}

export interface ChartTermValues {
  isometry: number;
  volumeVariance: number;
  conformality: number;
  /** Σ λ·∂term/∂G_p, n × d × d. */
  gbar: Float32Array;
}

/** z̃_p = α_p z_p + (1 − α_p) z_{π(p)}, wrapped to (−π, π] on a torus latent (losses.ts mixPoints). */
export function mixCodes(
  z: ArrayLike<number>,
  alpha: ArrayLike<number>,
  perm: ArrayLike<number>,
  n: number,
  d: number,
  torus: boolean,
): Float32Array {
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < d; i++) {
      const a = alpha[p]!;
      const v = Math.fround(Math.fround(a * z[p * d + i]!) + Math.fround((1 - a) * z[perm[p]! * d + i]!));
      out[p * d + i] = torus ? v - 2 * Math.PI * Math.round(v / (2 * Math.PI)) : v;
    }
  return out;
}

/** The three terms at G (n × d × d) and A = Σ λ·∂term/∂G. */
export function chartTermsWithGradient(G: ArrayLike<number>, n: number, d: number, w: ChartWeights, detEpsilon: number): ChartTermValues {
  const dd = d * d;
  const A = new Float64Array(n * dd);
  const t = new Float64Array(n);
  const s = new Float64Array(n);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < d; i++) {
      t[p] = t[p]! + G[p * dd + i * d + i]!;
      for (let j = 0; j < d; j++) s[p] = s[p]! + G[p * dd + i * d + j]! ** 2;
    }
  const T = t.reduce((a, b) => a + b, 0) / n;
  const S = s.reduce((a, b) => a + b, 0) / n;
  const isometry = (d * S) / T ** 2 - 1;
  let conformality = 0;
  for (let p = 0; p < n; p++) conformality += (d * s[p]!) / t[p]! ** 2 - 1;
  conformality /= n;
  const addTo = (p: number, scale: number, diagonal: number): void => {
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        A[p * dd + i * d + j] = A[p * dd + i * d + j]! + scale * G[p * dd + i * d + j]! + (i === j ? diagonal : 0);
  };
  for (let p = 0; p < n; p++) {
    if (w.isometry > 0) addTo(p, (w.isometry * 2 * d) / (n * T ** 2), (-w.isometry * 2 * d * S) / (n * T ** 3));
    if (w.conformality > 0) addTo(p, (w.conformality * 2 * d) / (n * t[p]! ** 2), (-w.conformality * 2 * d * s[p]!) / (n * t[p]! ** 3));
  }
  const logs = new Float64Array(n);
  const inverses: (Float64Array | null)[] = [];
  for (let p = 0; p < n; p++) {
    const { det, inv } = inverseAndDeterminant(
      Array.from({ length: dd }, (_, k) => G[p * dd + k]!),
      d,
    );
    logs[p] = 0.5 * Math.log(Math.max(det, detEpsilon));
    inverses.push(det > detEpsilon ? inv : null);
  }
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  let volumeVariance = 0;
  for (let p = 0; p < n; p++) {
    volumeVariance += (logs[p]! - mean) ** 2 / n;
    const inv = inverses[p];
    if (!(w.volume > 0) || !inv) continue;
    const scale = (w.volume * 2 * (logs[p]! - mean)) / n / 2;
    for (let k = 0; k < dd; k++) A[p * dd + k] = A[p * dd + k]! + scale * inv[k]!;
  }
  return { isometry, volumeVariance, conformality, gbar: Float32Array.from(A) };
}

/**
 * A contractive term from Tr G_p = ‖J_p‖²_F per point (losses.ts contractiveTerm): K = reduce_p
 * max(‖J_p‖_F − δ, 0) with ‖J‖_F = √(Tr G + 10⁻¹²), reduce = max or mean; and a_p = λ·∂K/∂(Tr G_p),
 * so that ∂(λK)/∂G_p = a_p·I. The max's gradient goes to every point that attains it (as tf.max's).
 */
export function contractiveWithGradient(
  trace: ArrayLike<number>,
  n: number,
  s: { weight: number; delta: number; reduce: "max" | "mean" },
): { value: number; adjoint: Float32Array } {
  const norm = Float64Array.from({ length: n }, (_, p) => Math.sqrt(trace[p]! + 1e-12));
  const excess = norm.map((v) => Math.max(v - s.delta, 0));
  const adjoint = new Float32Array(n);
  if (s.reduce === "mean") {
    for (let p = 0; p < n; p++) if (excess[p]! > 0) adjoint[p] = s.weight / (n * 2 * norm[p]!);
    return { value: excess.reduce((a, b) => a + b, 0) / n, adjoint };
  }
  const top = Math.max(...excess);
  for (let p = 0; p < n; p++) if (excess[p] === top && top > 0) adjoint[p] = s.weight / (2 * norm[p]!);
  return { value: top, adjoint };
}
