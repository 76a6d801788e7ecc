/**
 * The loss terms that depend on the codes z alone, in float64 on the host, with their gradient
 * ∂/∂z. The webgpu engine reads z back (n·d floats), adds λ·∂term/∂z to the encoder's adjoint z̄
 * on the device, and keeps the rest of the step there. The tfjs and onnx paths compute the same
 * terms their own way (losses.ts uniformityTerm, session.ts isomap).
 *
 *   uniformity  U = Σ_i Σ_{k=1..K} C_ik² + S_ik²,   C_ik = mean_p cos k z_pi,  S_ik = mean_p sin k z_pi
 *               ∂U/∂z_pi = (2/n) Σ_k k (S_ik cos k z_pi − C_ik sin k z_pi)
 *   isomap      A = mean_p ‖z_p − y_p‖²,            ∂A/∂z_pi = 2 (z_pi − y_pi) / n
 */

export interface LatentTermSettings {
  uniformity: { weight: number; moments: number };
  isomap: { weight: number };
}

export interface LatentTermValues {
  uniformity: number;
  isomap: number;
  /** λ_unif·∂U/∂z + λ_isomap·∂A/∂z, n × d. */
  zbar: Float32Array;
}

/** True when any z-only term is on. */
export const hasLatentTerms = (s: LatentTermSettings): boolean => s.uniformity.weight > 0 || s.isomap.weight > 0;

/** The z-only terms at codes z (n × d) and anchor rows y (n × d, or null when isomap is off). */
export function latentTerms(
  s: LatentTermSettings,
  z: ArrayLike<number>,
  n: number,
  d: number,
  anchor: ArrayLike<number> | null,
): LatentTermValues {
  const zbar = new Float64Array(n * d);
  const uniformity = s.uniformity.weight > 0 ? uniformityWithGradient(z, n, d, s.uniformity.moments, s.uniformity.weight, zbar) : 0;
  let isomap = 0;
  if (s.isomap.weight > 0) {
    if (!anchor) throw new Error("loss.isomap needs the anchor rows of the batch");
    for (let i = 0; i < n * d; i++) {
      const r = z[i]! - anchor[i]!;
      isomap += r * r;
      zbar[i] = zbar[i]! + (s.isomap.weight * 2 * r) / n;
    }
    isomap /= n;
  }
  return { uniformity, isomap, zbar: Float32Array.from(zbar) };
}

/** U at z; adds λ·∂U/∂z into zbar. */
function uniformityWithGradient(z: ArrayLike<number>, n: number, d: number, moments: number, weight: number, zbar: Float64Array): number {
  let value = 0;
  for (let i = 0; i < d; i++)
    for (let k = 1; k <= moments; k++) {
      let C = 0;
      let S = 0;
      for (let p = 0; p < n; p++) {
        C += Math.cos(k * z[p * d + i]!);
        S += Math.sin(k * z[p * d + i]!);
      }
      C /= n;
      S /= n;
      value += C * C + S * S;
      for (let p = 0; p < n; p++) {
        const a = k * z[p * d + i]!;
        zbar[p * d + i] = zbar[p * d + i]! + ((weight * 2 * k) / n) * (S * Math.cos(a) - C * Math.sin(a));
      }
    }
  return value;
}
