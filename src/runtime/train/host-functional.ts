/**
 * F and W for the webgpu engine: the device computes R, √det g and g at the curvature points; the
 * host evaluates the functional with the potential network in tfjs (losses.ts functionalFromGeometry,
 * the tfjs engine's own formula) on those values as constants, and differentiates it once:
 *
 *   T = λ_curv·sign·L_curv(R, √det g, g⁻¹; f_φ, τ)
 *   seeds to the device per point: ∂T/∂R, ∂T/∂√det g, ∂T/∂g = −g⁻¹ (∂T/∂g⁻¹) g⁻¹
 *   the potential's (and a learned τ's) gradient ∂T/∂φ, reversed for sign −1, into their Adam
 *
 * g⁻¹ is the inverse of g + (1 − m + ε_inv)·I, as in the other engines; at degenerate points
 * (m = 0) R and √det g are replaced by 0 and 1, which carry no weight.
 */
import * as tf from "@tensorflow/tfjs";
import type { FunctionalInput } from "../webgpu/autoencoder.js";
import type { Adam } from "./adam.js";
import { inverse as matrixInverse } from "../eval/linalg.js";
import type { TrainConfig } from "./config.js";
import { applyPotentialUpdate } from "./engines/engine.js";
import { functionalFromGeometry } from "./losses.js";
import type { Session } from "./session.js";

export interface HostFunctionalResult {
  /** L_curv (F or W). */
  value: number;
  normError: number;
  /** τ (W), else 0. */
  tau: number;
  /** m × (2 + d²): ∂T/∂R, ∂T/∂√det g, ∂T/∂g row-major. */
  seeds: Float32Array;
  /** Squared norm of the potential's (and τ's) gradient, before the reversal. */
  gradSq: number;
  /** Applies the potential's Adam step (call only when the step is finite); frees its gradients. */
  apply: () => void;
  /** Frees the gradients without a step. */
  dispose: () => void;
}

export function hostFunctional(session: Session, config: TrainConfig, potentialAdam: Adam, input: FunctionalInput): HostFunctionalResult {
  const { m, weight } = input;
  const d = session.latentDim;
  const l = config.loss;
  const live = Float32Array.from(input.detg, (v) => (v > l.detEpsilon ? 1 : 0));
  const inverse = new Float64Array(m * d * d);
  const shifted = new Float64Array(d * d);
  for (let p = 0; p < m; p++) {
    const shift = 1 - live[p]! + l.inverseMetricEpsilon;
    for (let k = 0; k < d * d; k++) shifted[k] = input.g[p * d * d + k]! + (k % (d + 1) === 0 ? shift : 0);
    inverse.set(matrixInverse(shifted, d), p * d * d);
  }
  const potentialVar = session.vars.get("potential") ?? null;
  const tauVar = session.vars.get("logTau") ?? null;
  const kept: { value?: tf.Tensor; normError?: tf.Tensor } = {};
  const grads = tf.tidy(() => {
    const R = tf.tensor1d(Float32Array.from(input.R, (v, p) => (live[p] ? v : 0)));
    const S = tf.tensor1d(Float32Array.from(input.sqrtdetg, (v, p) => (live[p] ? v : 1)));
    const Ginv = tf.tensor3d(Float32Array.from(inverse), [m, d, d]);
    const mask = tf.tensor1d(live);
    const z = tf.tensor2d(input.points.subarray(0, m * d), [m, d]);
    const fixedTau = session.logTau();
    const xs = [R, S, Ginv, ...(potentialVar ? [potentialVar] : []), ...(tauVar ? [tauVar] : [])];
    const g = tf.grads((r: tf.Tensor, s: tf.Tensor, gi: tf.Tensor, ...phi: tf.Tensor[]) => {
      const pot = potentialVar ? phi[0]! : null;
      const lt = tauVar ? phi[potentialVar ? 1 : 0]! : fixedTau;
      const c = functionalFromGeometry(session.curvature, { R: r, sqrtdetg: s, mask, ginv: gi }, pot, lt, z, weight);
      kept.value = tf.keep(c.value);
      kept.normError = tf.keep(c.normError ?? tf.scalar(0));
      return tf.mul(c.value, l.curv * l.sign);
    })(xs);
    return g.map((t) => tf.keep(t));
  });
  const [gR, gS, gGinv, ...gPhi] = grads;
  const seeds = seedsFrom(gR!.dataSync(), gS!.dataSync(), gGinv!.dataSync(), inverse, m, d);
  const names = [...(potentialVar ? ["potential"] : []), ...(tauVar ? ["logTau"] : [])];
  const gradSq = gPhi.reduce((acc, t) => acc + (tf.tidy(() => tf.sum(tf.square(t))).dataSync()[0] ?? 0), 0);
  const value = kept.value!.dataSync()[0]!;
  const normError = kept.normError!.dataSync()[0]!;
  const logTau = session.logTau();
  const tau = logTau ? Math.exp(logTau.dataSync()[0]!) : 0;
  for (const t of [kept.value, kept.normError, gR, gS, gGinv]) t?.dispose();
  const dispose = (): void => gPhi.forEach((t) => t.dispose());
  return {
    value,
    normError,
    tau,
    seeds,
    gradSq,
    apply: () => {
      applyPotentialUpdate(session, config, potentialAdam, new Map(names.map((k, i) => [k, gPhi[i]!])));
      dispose();
    },
    dispose,
  };
}

/** [∂T/∂R, ∂T/∂√det g, ∂T/∂g] per point, ∂T/∂g = −g⁻¹ (∂T/∂g⁻¹) g⁻¹ (g⁻¹ symmetric). */
function seedsFrom(
  gR: ArrayLike<number>,
  gS: ArrayLike<number>,
  gGinv: ArrayLike<number>,
  inverse: Float64Array,
  m: number,
  d: number,
): Float32Array {
  const S = 2 + d * d;
  const seeds = new Float32Array(m * S);
  for (let p = 0; p < m; p++) {
    seeds[p * S] = gR[p]!;
    seeds[p * S + 1] = gS[p]!;
    const o = p * d * d;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let v = 0;
        for (let a = 0; a < d; a++)
          for (let b = 0; b < d; b++) v -= inverse[o + i * d + a]! * gGinv[o + a * d + b]! * inverse[o + b * d + j]!;
        seeds[p * S + 2 + i * d + j] = v;
      }
  }
  return seeds;
}
