/**
 * The mixing coefficients of the regulariser points (IRVAE-style mixup, losses.ts `chartTerms`):
 * z̃_p = α_p z_p + (1 − α_p) z_{π(p)} over the n encoded batch codes z_p. Drawn host-side as a pure
 * function of (seed, step), so a resumed run draws the same ones and another engine can reproduce
 * them bit for bit:
 *
 *   rng = new Rng(mixSeed(seed, 3, step))                         (util/random.ts, trainer.ts)
 *   α_p = −η + (1 + 2η)·rng.uniform()              for p = 0 … n−1, in that order   (α ~ U[−η, 1+η])
 *   π = identity, then for i = n−1 down to 1: j = rng.int(i + 1); swap π[i], π[j]  (Fisher–Yates)
 *
 * α is rounded to float32 once (Float32Array), exactly as the step uses it. `step` is the 1-based
 * number of the step being taken (the same number the measure's samples use, with stream 2).
 */
import { Rng } from "../../util/random.js";
import { mixSeed } from "./trainer.js";

export interface RegularizerPoints {
  /** α_p, [n]. */
  alpha: Float32Array;
  /** π(p), [n], a permutation of 0 … n−1. */
  perm: Int32Array;
}

/** The random stream of the regulariser points (1: epoch permutation, 2: measure samples). */
export const REGULARIZER_STREAM = 3;

export function regularizerPoints(seed: number, step: number, n: number, eta: number): RegularizerPoints {
  const rng = new Rng(mixSeed(seed, REGULARIZER_STREAM, step));
  const alpha = new Float32Array(n);
  for (let p = 0; p < n; p++) alpha[p] = -eta + (1 + 2 * eta) * rng.uniform();
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return { alpha, perm };
}
