/**
 * The curvature functionals and the extra loss terms, as one explicit tfjs forward pass over the
 * generated kernels (so one level of tfjs autograd gives their gradients; no nested tf.grad).
 *
 * With Monte Carlo points z_p, the measure weight w (measure.ts) and μ_p = w·m_p·√det g(z_p):
 *
 *   R2:  L = Σ_p μ_p R_p²                                                ≈ ∫ R² dμ
 *   F:   L = Σ_p q_p (R_p + |∇f|²_g)                                     ≈ ∫ (R + |∇f|²) e^{−f} dμ
 *   W:   L = Σ_p q_p [τ(|∇f|²_g + R_p) + f_p − n]                         ≈ ∫ [τ(|∇f|² + R) + f − n](4πτ)^{−n/2} e^{−f} dμ
 *
 * with f = f_θ + c the potential network normalised on the same points: c = log Σ_p μ_p e^{−f_θ,p}
 * (a log-sum-exp) for F, and c = log Σ_p μ_p e^{−f_θ,p} − (n/2) log 4πτ for W, so that
 * Σ_p μ_p e^{−f_p} = 1 (F) or Σ_p μ_p (4πτ)^{−n/2} e^{−f_p} = 1 (W) exactly, and the weights
 * q_p = μ_p (4πτ)^{−n/2·[W]} e^{−f_p} are a softmax of −f_θ + log μ. |∇f|²_g = g^{ij}∂_i f ∂_j f.
 *
 * Degenerate points: m_p = 0 where det g ≤ ε (loss.detEpsilon), else 1. They carry no weight in
 * any functional, and before assembly 1 is added to their g_ii (`metricShift`) so that R, g⁻¹ and
 * their gradients stay finite there instead of turning the whole step into NaN. They are counted.
 *
 * ε-regularised inverse (loss.inverseMetricEpsilon = ε_inv ≥ 0, the research's (g + εI)⁻¹ with
 * ε = 0.1): metricShift_p = (1 − m_p) + ε_inv is added to g_ii before R and g⁻¹ are assembled (both
 * routes use g only through g⁻¹ there), so R_p is the curvature formula with g⁻¹ → (g + ε_inv I)⁻¹
 * and |∇f|²_g uses (g + ε_inv I)⁻¹ too. The mask m_p and the measure's √det g_p are those of the
 * unshifted g: √det g_p = √(det g_p + 1 − m_p) from the metric kernel (= √det g_p where m_p = 1).
 * With ε_inv = 0 the curvature kernel's own √det g is used (the same value where m_p = 1).
 *
 * The other terms, all averaged with the batch of n encoded codes z_p = Φ(x_p):
 *
 *   contractive (K):      reduce_p max(‖J_Φ(x_p)‖_F − δ, 0), reduce = max (the research's) or mean,
 *                         ‖J‖_F = √(Σ J² + 10⁻¹²) (mlp.ts).
 *   decoderContractive:   the same with ‖J_Ψ(z_p)‖_F = √(Σ_i |∂_iΨ(z_p)|² + 10⁻¹²) from the decoder
 *                         jets of order 1 at the codes (gradient into decoder and encoder).
 *   uniformity (U):       see uniformityTerm.
 *
 * Chart-fixing terms (`chartTerms`), at the regulariser points: z̃_p = α_p z_p + (1 − α_p) z_{π(p)}
 * with z_p the codes without gradient into the encoder, α and π from regularizer-points.ts (seed,
 * step, eta = loss.regularizerPoints.eta), wrapped to (−π, π] by z − 2π·round(z/2π) on a torus
 * latent. G_p = g(z̃_p) (metric kernel, no shift), t_p = Tr G_p = Σ_i G_ii, s_p = Tr G_p² = Σ_ij G_ij²:
 *
 *   isometry:      d · (mean_p s_p) / (mean_p t_p)² − 1     (0 iff G_p = c·I with one c for all p).
 *                  IRVAE (relaxed_distortion_measure) returns mean s / (mean t)² without the d and the
 *                  −1 (same minimiser, gradient d× smaller), estimates s and t with one Hutchinson
 *                  probe (‖Gv‖², ‖Jv‖², v ~ N(0, I)), and lets the gradient reach the encoder.
 *   conformality:  mean_p (d · s_p / t_p² − 1)              (0 iff every G_p ∝ I)
 *   volume:        mean_p (ℓ_p − ℓ̄)², ℓ_p = ½ log max(det G_p, detEpsilon), ℓ̄ = mean_p ℓ_p
 *                  (population variance of log √det G). Geometric Autoencoders (criterions.py,
 *                  DeterminantLoss) differ: torch.var of log det G (unbiased, n − 1, and of log det,
 *                  so 4× ours up to n/(n − 1)), at the encoded codes themselves with gradient into
 *                  the encoder and no mixup, and no clamp (its nan_to_num result is discarded).
 *
 * Total: λ_recon·MSE + λ_curv·sign·L_curv + λ_unif·U + λ_contr·K + λ_dec·K_Ψ + λ_iso·isometry
 *        + λ_vol·volume + λ_conf·conformality (session.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { type Route, curvatureKernelName, routeJetOrder } from "../../emit/facade.js";
import type { ContractiveReduce, Functional } from "./config.js";
import type { TfjsKernelModule, Weights } from "./tfjs-kernels.js";

type T = tf.Tensor;

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
export const stopGradient = tf.customGrad(((x: T) => ({
  value: tf.clone(x),
  gradFunc: (dy: T) => [tf.zerosLike(dy)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;

export interface CurvatureSetup {
  decoder: TfjsKernelModule;
  /** Needed for F and W. */
  potential: TfjsKernelModule | null;
  route: Route;
  functional: Functional;
  detEpsilon: number;
  /** ε of the regularised inverse (g + εI)⁻¹ in R and |∇f|²_g; 0 for the plain g⁻¹. */
  inverseMetricEpsilon?: number;
  latentDim: number;
}

export interface CurvatureResult {
  /** L_curv (scalar). */
  value: T;
  /** Σ μ R² (scalar; = value for R2). */
  r2: T;
  /** Σ μ: the measure's total mass. */
  volume: T;
  /** Mean √det g over the non-degenerate points (the scale monitor). */
  meanSqrtDetG: T;
  /** Number of points with det g ≤ ε (scalar). */
  degenerate: T;
  /** Per point: R, √det g, mask, and for F/W the normalised f, |∇f|²_g and q. */
  R: T;
  sqrtdetg: T;
  mask: T;
  f?: T;
  grad2?: T;
  q?: T;
  /** For F/W: |Σ μ (4πτ)^{−n/2·[W]} e^{−f} − 1| computed from f (scalar). */
  normError?: T;
}

export { curvatureKernelName };

/**
 * L_curv at the points z [n, d] (no gradient flows into z), each of weight w. Call inside a tidy
 * (or tf.variableGrads).
 */
export function curvatureFunctional(
  s: CurvatureSetup,
  decoder: Weights,
  potential: T | null,
  logTau: T | null,
  z: T,
  w: number,
): CurvatureResult {
  const P = s.decoder.decoderJets(tf, decoder, z, routeJetOrder(s.route));
  const det = s.decoder.fromJets["metric"]!(tf, P)["detg"]!;
  const mask = tf.step(tf.sub(det, s.detEpsilon));
  const degenerateShift = tf.sub(1, mask);
  const epsInv = s.inverseMetricEpsilon ?? 0;
  const shift = epsInv > 0 ? tf.add(degenerateShift, epsInv) : degenerateShift;
  const curv = s.decoder.fromJets[curvatureKernelName(s.route)]!(tf, P, shift);
  const R = curv["R"]!;
  // The measure uses the unshifted √det g (+1 at degenerate points keeps sqrt and log finite there).
  const sqrtdetg = epsInv > 0 ? tf.sqrt(tf.add(det, degenerateShift)) : curv["sqrtdetg"]!;
  const ginv = s.functional === "R2" ? null : s.decoder.fromJets["inverseMetric"]!(tf, P, shift)["ginv"]!; // [n, d, d]
  return functionalFromGeometry(s, { R, sqrtdetg, mask, ginv }, potential, logTau, z, w);
}

/**
 * L_curv from the per-point geometry: R, the measure's √det g, the mask and, for F and W, the
 * (shifted) inverse metric [n, d, d]. The webgpu engine calls it with the device's geometry as
 * constants, for the potential's gradient and the adjoints of R, √det g and g⁻¹.
 */
export function functionalFromGeometry(
  s: Pick<CurvatureSetup, "potential" | "functional" | "latentDim">,
  geo: { R: T; sqrtdetg: T; mask: T; ginv: T | null },
  potential: T | null,
  logTau: T | null,
  z: T,
  w: number,
): CurvatureResult {
  const n = z.shape[0]!;
  const d = s.latentDim;
  const { R, sqrtdetg, mask } = geo;
  const mu = tf.mul(tf.mul(mask, sqrtdetg), w);
  const r2 = tf.sum(tf.mul(mu, tf.square(R)));
  const degenerate = tf.sum(tf.sub(1, mask));
  const volume = tf.sum(mu);
  const meanSqrtDetG = tf.div(tf.sum(tf.mul(mask, sqrtdetg)), tf.maximum(tf.sum(mask), 1));
  if (s.functional === "R2") return { value: r2, r2, volume, meanSqrtDetG, degenerate, R, sqrtdetg, mask };

  if (!s.potential || !potential || !geo.ginv) throw new Error(`functional ${s.functional} needs the potential`);
  const ginv = geo.ginv;
  const pj = s.potential.decoderJets(tf, potential, z, 1);
  const fRaw = tf.reshape(pj[0]!, [n]);
  const grad = tf.concat(pj.slice(1, 1 + d), 1); // [n, d]
  const grad2 = tf.sum(tf.mul(tf.mul(tf.reshape(grad, [n, d, 1]), ginv), tf.reshape(grad, [n, 1, d])), [1, 2]);
  // log μ_p, with masked points pushed to weight 0 (exp(−10⁴) = 0 in float32, gradient finite).
  const logMu = tf.add(tf.log(tf.mul(sqrtdetg, w)), tf.mul(tf.sub(mask, 1), 1e4));
  const scores = tf.sub(logMu, fRaw);
  const c = tf.logSumExp(scores);
  const q = tf.exp(tf.sub(scores, c));
  const tau = logTau ? tf.exp(logTau) : null;
  const halfLog4PiTau = tau ? tf.mul(d / 2, tf.log(tf.mul(4 * Math.PI, tau))) : tf.scalar(0);
  const f = s.functional === "W" ? tf.sub(tf.add(fRaw, c), halfLog4PiTau) : tf.add(fRaw, c);
  const mass = tf.sum(tf.mul(mu, tf.exp(tf.sub(tf.neg(f), s.functional === "W" ? halfLog4PiTau : 0))));
  const normError = tf.abs(tf.sub(mass, 1));
  let value: T;
  if (s.functional === "F") value = tf.sum(tf.mul(q, tf.add(R, grad2)));
  else {
    if (!tau) throw new Error("W needs τ");
    value = tf.sum(tf.mul(q, tf.sub(tf.add(tf.mul(tau, tf.add(grad2, R)), f), d)));
  }
  return { value, r2, volume, meanSqrtDetG, degenerate, R, sqrtdetg, mask, f, grad2, q, normError };
}

/** Σ_i Σ_{k=1..K} (mean_p cos k z_pi)² + (mean_p sin k z_pi)²: zero for angles uniform on the circle. */
export function uniformityTerm(z: T, moments: number): T {
  const terms: T[] = [];
  for (let k = 1; k <= moments; k++) {
    const kz = tf.mul(z, k);
    terms.push(tf.sum(tf.square(tf.mean(tf.cos(kz), 0))), tf.sum(tf.square(tf.mean(tf.sin(kz), 0))));
  }
  return tf.addN(terms);
}

/** reduce_p max(‖J(x_p)‖_F − δ, 0) over the batch, reduce = max or mean. */
export function contractiveTerm(jacNorm: T, delta: number, reduce: ContractiveReduce = "max"): T {
  const excess = tf.relu(tf.sub(jacNorm, delta));
  return reduce === "max" ? tf.max(excess) : tf.mean(excess);
}

/** ‖J_Ψ(z_p)‖_F = √(Σ_i |∂_iΨ|² + 10⁻¹²) per point ([n]) from decoder jets P of order ≥ 1. */
export function decoderJacobianNorm(P: readonly T[], latentDim: number): T {
  const squares = P.slice(1, 1 + latentDim).map((col) => tf.sum(tf.square(col), 1));
  return tf.sqrt(tf.add(tf.addN(squares), 1e-12));
}

/**
 * z̃_p = α_p z_p + (1 − α_p) z_{π(p)} [n, d], wrapped to (−π, π] on a torus latent. Computed as M z
 * with the host-built mixing matrix M (M_pp = α_p, M_pπ(p) = 1 − α_p; α_p + 1 − α_p where π(p) = p),
 * because tf.gather's gradient has no wasm kernel.
 */
export function mixPoints(z: T, alpha: Float32Array, perm: Int32Array, torus: boolean): T {
  const n = z.shape[0]!;
  const M = new Float32Array(n * n);
  for (let p = 0; p < n; p++) {
    M[p * n + p] = alpha[p]!;
    M[p * n + perm[p]!] = M[p * n + perm[p]!]! + (1 - alpha[p]!);
  }
  const mixed = tf.matMul(tf.tensor2d(M, [n, n]), z);
  if (!torus) return mixed;
  const twoPi = 2 * Math.PI;
  return tf.sub(mixed, tf.mul(twoPi, tf.round(tf.div(mixed, twoPi))));
}

export interface ChartTerms {
  isometry: T;
  conformality: T;
  volume: T;
}

/** The chart-fixing terms (see the module docstring) at the points zt [n, d]; G from the metric kernel. */
export function chartTerms(decoder: TfjsKernelModule, weights: Weights, zt: T, detEpsilon: number): ChartTerms {
  const d = zt.shape[1]!;
  const P = decoder.decoderJets(tf, weights, zt, 1);
  const m = decoder.fromJets["metric"]!(tf, P);
  const G = m["g"]!; // [n, d, d]
  const trace = tf.sum(tf.mul(G, tf.reshape(tf.eye(d), [1, d, d])), [1, 2]);
  const traceSq = tf.sum(tf.square(G), [1, 2]); // Tr G² = Σ_ij G_ij² (G symmetric)
  const isometry = tf.sub(tf.div(tf.mul(d, tf.mean(traceSq)), tf.square(tf.mean(trace))), 1);
  const conformality = tf.mean(tf.sub(tf.div(tf.mul(d, traceSq), tf.square(trace)), 1));
  const logSqrtDet = tf.mul(0.5, tf.log(tf.maximum(m["detg"]!, detEpsilon)));
  const volume = tf.mean(tf.square(tf.sub(logSqrtDet, tf.mean(logSqrtDet))));
  return { isometry, conformality, volume };
}
