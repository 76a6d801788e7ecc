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
 */
import * as tf from "@tensorflow/tfjs";
import type { Route } from "../../ir/kernels.js";
import type { Functional } from "./config.js";
import type { TfjsKernelModule, Weights } from "./tfjs-kernels.js";

type T = tf.Tensor;

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
export const stopGradient = tf.customGrad(((x: T) => ({ value: tf.clone(x), gradFunc: (dy: T) => [tf.zerosLike(dy)] })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;

export interface CurvatureSetup {
  decoder: TfjsKernelModule;
  /** Needed for F and W. */
  potential: TfjsKernelModule | null;
  route: Route;
  functional: Functional;
  detEpsilon: number;
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

export const curvatureKernelName = (route: Route): string => (route === "a" ? "scalarCurvatureA" : "scalarCurvatureB");

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
  const n = z.shape[0]!;
  const d = s.latentDim;
  const P = s.decoder.decoderJets(tf, decoder, z, s.route === "a" ? 3 : 2);
  const det = s.decoder.fromJets["metric"]!(tf, P)["detg"]!;
  const mask = tf.step(tf.sub(det, s.detEpsilon));
  const shift = tf.sub(1, mask);
  const curv = s.decoder.fromJets[curvatureKernelName(s.route)]!(tf, P, shift);
  const R = curv["R"]!;
  const sqrtdetg = curv["sqrtdetg"]!;
  const mu = tf.mul(tf.mul(mask, sqrtdetg), w);
  const r2 = tf.sum(tf.mul(mu, tf.square(R)));
  const degenerate = tf.sum(shift);
  const volume = tf.sum(mu);
  const meanSqrtDetG = tf.div(tf.sum(tf.mul(mask, sqrtdetg)), tf.maximum(tf.sum(mask), 1));
  if (s.functional === "R2") return { value: r2, r2, volume, meanSqrtDetG, degenerate, R, sqrtdetg, mask };

  if (!s.potential || !potential) throw new Error(`functional ${s.functional} needs the potential`);
  const pj = s.potential.decoderJets(tf, potential, z, 1);
  const fRaw = tf.reshape(pj[0]!, [n]);
  const grad = tf.concat(pj.slice(1, 1 + d), 1); // [n, d]
  const ginv = s.decoder.fromJets["inverseMetric"]!(tf, P, shift)["ginv"]!; // [n, d, d]
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

/** mean_p max(‖J_Φ(x_p)‖_F − δ, 0). */
export function contractiveTerm(jacNorm: T, delta: number): T {
  return tf.mean(tf.relu(tf.sub(jacNorm, delta)));
}
