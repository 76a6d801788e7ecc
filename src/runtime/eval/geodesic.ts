/**
 * Geodesic length ratio of a latent metric (the reference work's "1 = flat" measure).
 *
 * For a pair of latent endpoints a, b the discrete geodesic is the polyline z_0 = a, …, z_N = b
 * minimising the energy E = Σ_s Δ_sᵀ g(m_s) Δ_s, with Δ_s = z_{s+1} − z_s and m_s the segment
 * midpoint (its minimisers are constant-speed shortest paths). Its length is
 * L = Σ_s √(Δ_sᵀ g(m_s) Δ_s), and
 *
 *     ratio = L(discrete geodesic) / L(straight latent segment a→b, same N-segment rule)
 *
 * so ratio = 1 where straight lines are geodesics (flat-like metric) and < 1 where the metric
 * offers shortcuts.
 *
 * Optimisation (all pairs batched, one metric call per iteration): exact ∂E/∂z_i, where ∂g at the
 * midpoints comes from `options.jets` when given (e.g. exact, from the decoder's second-order
 * jets) and otherwise from central finite differences of the metric (step `fdStep`), preconditioned by
 * the Hessian of E with the metric frozen at the current midpoints (block-tridiagonal, solved
 * exactly by block Thomas elimination; for a constant metric this is one Newton step). A step is
 * accepted only if E decreases (step halves otherwise, doubles back towards 1 on success); a pair
 * stops when the relative decrease, or the one the Newton model predicts, falls below `tol`, when a
 * rejected step raised E by less than that (rounding noise), at step size 1e-8, or at `maxIter`.
 */
import { inverse } from "./linalg.js";

/**
 * The latent metric at m points z (m×d, row-major): returns m×d×d (row-major per point).
 * May be asynchronous (e.g. a GPU readback).
 */
export type MetricFn = (z: Float64Array, m: number) => Float64Array | Promise<Float64Array>;

/**
 * The metric and its first derivatives at m points z (m×d): g is m×d×d, dg is m×d×d×d with
 * dg[((p·d + k)·d + i)·d + j] = ∂_k g_ij at point p.
 */
export type MetricJetFn = (
  z: Float64Array,
  m: number,
) => { g: Float64Array; dg: Float64Array } | Promise<{ g: Float64Array; dg: Float64Array }>;

/** g and ∂g from one call of `metricAt` on each point and its central stencil z ± h·e_k. */
export function finiteDifferenceJets(metricAt: MetricFn, d: number, h: number): MetricJetFn {
  return async (z, m) => {
    const per = 1 + 2 * d;
    const dd = d * d;
    const pts = new Float64Array(m * per * d);
    for (let p = 0; p < m; p++)
      for (let v = 0; v < per; v++) {
        pts.set(z.subarray(p * d, (p + 1) * d), (p * per + v) * d);
        if (v > 0) pts[(p * per + v) * d + ((v - 1) >> 1)]! += v % 2 ? h : -h;
      }
    const all = await metricAt(pts, m * per);
    if (all.length < m * per * dd) throw new RangeError(`metricAt returned ${all.length} values, expected ${m * per * dd}`);
    const g = new Float64Array(m * dd);
    const dg = new Float64Array(m * d * dd);
    for (let p = 0; p < m; p++) {
      const base = p * per * dd;
      g.set(all.subarray(base, base + dd), p * dd);
      for (let k = 0; k < d; k++)
        for (let e = 0; e < dd; e++)
          dg[(p * d + k) * dd + e] = (all[base + (1 + 2 * k) * dd + e]! - all[base + (2 + 2 * k) * dd + e]!) / (2 * h);
    }
    return { g, dg };
  };
}

export interface GeodesicOptions {
  /** g and ∂g at points; replaces the finite differences of `metricAt` (then fdStep is unused). */
  jets?: MetricJetFn;
  /** Polyline segments N (default 16). */
  segments?: number;
  /** Maximum optimisation iterations (default 300). */
  maxIter?: number;
  /** Finite-difference step for ∂g, in latent units (default 1e-3). */
  fdStep?: number;
  /** Relative energy decrease below which a pair is converged (default 1e-10). */
  tol?: number;
}

export interface GeodesicResult {
  /** Mean of `ratios` over the pairs. */
  mean: number;
  ratios: Float64Array;
  geodesicLengths: Float64Array;
  straightLengths: Float64Array;
  /** Discrete geodesics, pairs×(N+1)×d. */
  paths: Float64Array;
  iterations: number;
}

interface Evaluation {
  energy: number;
  length: number;
  /** ∂E/∂z_s for all N+1 points ((N+1)×d; endpoints unused). */
  grad: Float64Array;
  /** Metric at the N midpoints (N×d×d). */
  g: Float64Array;
}

interface PairState {
  path: Float64Array;
  ev: Evaluation;
  step: Float64Array;
  alpha: number;
  done: boolean;
}

/** Mean geodesic/straight length ratio over `pairs` latent endpoint pairs (from, to: pairs×d). */
export async function geodesicLengthRatio(
  metricAt: MetricFn,
  from: Float64Array,
  to: Float64Array,
  pairs: number,
  d: number,
  options: GeodesicOptions = {},
): Promise<GeodesicResult> {
  const N = options.segments ?? 16;
  const maxIter = options.maxIter ?? 300;
  const h = options.fdStep ?? 1e-3;
  const tol = options.tol ?? 1e-10;
  const jets = options.jets ?? finiteDifferenceJets(metricAt, d, h);
  const straight = Array.from({ length: pairs }, (_, p) => {
    const path = new Float64Array((N + 1) * d);
    for (let i = 0; i <= N; i++)
      for (let a = 0; a < d; a++) {
        const za = from[p * d + a]!;
        path[i * d + a] = za + (i / N) * (to[p * d + a]! - za);
      }
    return path;
  });
  const initial = await evaluate(jets, straight, N, d);
  // Converged when the Newton model predicts a relative decrease ½ ∇E·step / E below tol.
  const flat = (ev: Evaluation, step: Float64Array): boolean => {
    let predicted = 0;
    for (let i = 0; i < step.length; i++) predicted += ev.grad[i]! * step[i]!;
    return predicted / 2 <= tol * ev.energy;
  };
  const states: PairState[] = straight.map((path, p) => {
    const ev = initial[p]!;
    const step = newtonStep(ev, N, d);
    return { path, ev, step, alpha: 1, done: N < 2 || flat(ev, step) };
  });
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const trials = active.map((s) => s.path.map((v, i) => v - s.alpha * s.step[i]!));
    const evs = await evaluate(jets, trials, N, d);
    active.forEach((s, i) => {
      const ev = evs[i]!;
      if (ev.energy <= s.ev.energy) {
        const decrease = (s.ev.energy - ev.energy) / Math.max(s.ev.energy, Number.MIN_VALUE);
        s.path = trials[i]!;
        s.ev = ev;
        s.step = newtonStep(ev, N, d);
        s.alpha = Math.min(1, 2 * s.alpha);
        s.done = decrease < tol || flat(ev, s.step);
      } else {
        // An increase at the level of rounding noise (g is float32 in runs) is convergence, not a bad step.
        s.alpha /= 2;
        s.done = s.alpha < 1e-8 || ev.energy - s.ev.energy <= tol * s.ev.energy;
      }
    });
  }
  const ratios = new Float64Array(pairs);
  const geodesicLengths = new Float64Array(pairs);
  const straightLengths = new Float64Array(pairs);
  const paths = new Float64Array(pairs * (N + 1) * d);
  let sum = 0;
  states.forEach((s, p) => {
    geodesicLengths[p] = s.ev.length;
    straightLengths[p] = initial[p]!.length;
    ratios[p] = s.ev.length / initial[p]!.length;
    paths.set(s.path, p * (N + 1) * d);
    sum += ratios[p]!;
  });
  return { mean: sum / pairs, ratios, geodesicLengths, straightLengths, paths, iterations };
}

/** Random distinct pairs of rows of z (n×d) as endpoints, for `geodesicLengthRatio`. */
export function randomPairs(
  z: Float64Array,
  n: number,
  d: number,
  count: number,
  rng: { int(n: number): number },
): { from: Float64Array; to: Float64Array } {
  if (n < 2) throw new RangeError("randomPairs: need at least two points");
  const from = new Float64Array(count * d);
  const to = new Float64Array(count * d);
  for (let p = 0; p < count; p++) {
    const i = rng.int(n);
    let j = rng.int(n - 1);
    if (j >= i) j++;
    from.set(z.subarray(i * d, (i + 1) * d), p * d);
    to.set(z.subarray(j * d, (j + 1) * d), p * d);
  }
  return { from, to };
}

/** Energy, length and gradient of each path; one call of `jets` on all midpoints. */
async function evaluate(jets: MetricJetFn, paths: Float64Array[], N: number, d: number): Promise<Evaluation[]> {
  const dd = d * d;
  const m = paths.length * N;
  const mids = new Float64Array(m * d);
  paths.forEach((path, p) => {
    for (let s = 0; s < N; s++) for (let a = 0; a < d; a++) mids[(p * N + s) * d + a] = (path[s * d + a]! + path[(s + 1) * d + a]!) / 2;
  });
  const { g: gAll, dg: dgAll } = await jets(mids, m);
  if (gAll.length < m * dd || dgAll.length < m * d * dd) throw new RangeError(`metric jets returned too few values for ${m} points`);
  const delta = new Float64Array(d);
  const gDelta = new Float64Array(d);
  return paths.map((path, p) => {
    const grad = new Float64Array((N + 1) * d);
    const g = new Float64Array(N * dd);
    let energy = 0;
    let length = 0;
    for (let s = 0; s < N; s++) {
      const q0 = (p * N + s) * dd;
      g.set(gAll.subarray(q0, q0 + dd), s * dd);
      for (let a = 0; a < d; a++) delta[a] = path[(s + 1) * d + a]! - path[s * d + a]!;
      let q = 0;
      for (let a = 0; a < d; a++) {
        let r = 0;
        for (let b = 0; b < d; b++) r += gAll[q0 + a * d + b]! * delta[b]!;
        gDelta[a] = r;
        q += delta[a]! * r;
      }
      energy += q;
      length += Math.sqrt(Math.max(q, 0));
      for (let a = 0; a < d; a++) {
        // ½ Δᵀ ∂_a g Δ: the midpoint moves by half of each endpoint's displacement.
        const da = ((p * N + s) * d + a) * dd;
        let f = 0;
        for (let b = 0; b < d; b++) for (let c = 0; c < d; c++) f += delta[b]! * dgAll[da + b * d + c]! * delta[c]!;
        f /= 2;
        grad[s * d + a] = grad[s * d + a]! - 2 * gDelta[a]! + f;
        grad[(s + 1) * d + a] = grad[(s + 1) * d + a]! + 2 * gDelta[a]! + f;
      }
    }
    return { energy, length, grad, g };
  });
}

/**
 * Solve H x = ∇E for the interior points, with H the block-tridiagonal Hessian of E at frozen
 * midpoint metrics G_s: H_ii = 2(G_{i−1} + G_i), H_{i,i+1} = H_{i+1,i} = −2 G_i. Returns the step
 * for all N+1 points (zero at the fixed endpoints).
 */
function newtonStep(ev: Evaluation, N: number, d: number): Float64Array {
  const dd = d * d;
  const G = (s: number): Float64Array => ev.g.subarray(s * dd, (s + 1) * dd);
  const cPrime: Float64Array[] = []; // M_i⁻¹ U_i, with U_i = −2 G_i
  const dPrime: Float64Array[] = []; // M_i⁻¹ (b_i − L_i d'_{i−1}), with L_i = −2 G_{i−1}
  for (let i = 1; i < N; i++) {
    const M = new Float64Array(dd);
    const rhs = ev.grad.slice(i * d, (i + 1) * d);
    const gPrev = G(i - 1);
    const gNext = G(i);
    for (let k = 0; k < dd; k++) M[k] = 2 * (gPrev[k]! + gNext[k]!);
    if (i > 1) {
      const cp = cPrime[i - 2]!;
      const dp = dPrime[i - 2]!;
      // M −= L C', rhs −= L d'  with L = −2 G_{i−1}
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          let r = 0;
          for (let c = 0; c < d; c++) r += gPrev[a * d + c]! * cp[c * d + b]!;
          M[a * d + b] = M[a * d + b]! + 2 * r;
        }
        let r = 0;
        for (let c = 0; c < d; c++) r += gPrev[a * d + c]! * dp[c]!;
        rhs[a] = rhs[a]! + 2 * r;
      }
    }
    const inv = inverse(M, d);
    const cp = new Float64Array(dd);
    const dp = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let r = 0;
        for (let c = 0; c < d; c++) r += inv[a * d + c]! * -2 * gNext[c * d + b]!;
        cp[a * d + b] = r;
        dp[a] = dp[a]! + inv[a * d + b]! * rhs[b]!;
      }
    }
    cPrime.push(cp);
    dPrime.push(dp);
  }
  const step = new Float64Array((N + 1) * d);
  for (let i = N - 1; i >= 1; i--) {
    const dp = dPrime[i - 1]!;
    const cp = cPrime[i - 1]!;
    for (let a = 0; a < d; a++) {
      let r = dp[a]!;
      if (i < N - 1) for (let b = 0; b < d; b++) r -= cp[a * d + b]! * step[(i + 1) * d + b]!;
      step[i * d + a] = r;
    }
  }
  return step;
}
