/**
 * The research's geodesic length ratio: a grid of geodesics seen through a logarithmic chart
 * (d = 2). Steps, as in the reference work's notebook (our own numerics):
 *
 *  1. Geodesics along the four borders of a latent box; `lines` points at equal parameter steps
 *     on the left and right borders (and on the bottom and top ones, for the central column).
 *  2. The `lines` horizontal geodesics γ_i from left_i to right_i, and the central vertical one.
 *  3. Base point p: where the central horizontal and vertical geodesics cross (closest vertices).
 *  4. Logarithmic map: v = log_p(q) for both ends of every γ_i, the initial velocity of the
 *     geodesic from p to q on [0, 1], first from the boundary-value geodesic, then refined by
 *     shooting (Newton on exp_p(v) = q) so that exp_p sends it back onto q.
 *  5. The straight segment from log_p(left_i) to log_p(right_i) in T_pM, sampled at `points`
 *     points, mapped back by exp_p (geodesic shooting, RK4 on z̈ = −Γ(z)(ż, ż)).
 *  6. Those images joined by geodesics; their summed length L_log,i.
 *
 *     ratio_i = L(γ_i) / L_log,i,   ratio = mean over the lines.
 *
 * In a flat metric normal coordinates are affine, the straight segment maps back onto γ_i, and
 * ratio = 1; curvature bends the images of straight lines away from geodesics, so ratio < 1.
 * Boundary-value geodesics come from `geodesicLengthRatio`'s solver; Γ from g and ∂g (`jets`, or
 * central finite differences of the metric with step `fdStep`).
 */
import { finiteDifferenceJets, geodesicLengthRatio, type MetricFn, type MetricJetFn } from "./geodesic.js";
import { inverse } from "./linalg.js";

export interface GeodesicGridOptions {
  /** Horizontal geodesics across the box (default 11). */
  lines?: number;
  /** Points sampled on each straight line of the logarithmic chart (default 20, as the research). */
  points?: number;
  /** Polyline segments of the grid and logarithmic-map geodesics (default 16). */
  segments?: number;
  /** Iterations of each boundary-value solve at most (default 100). */
  maxIter?: number;
  /** RK4 steps of each exponential-map shot (default 16). */
  shootSteps?: number;
  /** Newton iterations of the shooting that makes exp_p(log_p q) = q (default 4). */
  logIter?: number;
  /** Finite-difference step for ∂g (default 1e-3) when no `jets` are given. */
  fdStep?: number;
  /** g and ∂g at points (e.g. exact, from the decoder's jets); default: finite differences of metricAt. */
  jets?: MetricJetFn;
  /** Relative energy decrease at which a boundary-value geodesic counts as converged (default 1e-10). */
  tol?: number;
}

export interface GeodesicGridResult {
  /** Mean of the finite `ratios`. */
  mean: number;
  /** Lines left out (NaN ratio): their exp_p images missed the line's ends (see geodesicGridRatio). */
  failedLines: number;
  /** Per line: the larger chart distance between exp_p(log_p(end)) and that end. */
  endpointMiss: Float64Array;
  ratios: Float64Array;
  geodesicLengths: Float64Array;
  logLineLengths: Float64Array;
  basePoint: Float64Array;
  lines: number;
  points: number;
}

const D2 = 2;

/** The point at parameter s ∈ [0, 1] of a polyline of N + 1 vertices (linear between vertices). */
function alongPath(path: Float64Array, s: number): [number, number] {
  const N = path.length / D2 - 1;
  const u = s * N;
  const i = Math.min(N - 1, Math.floor(u));
  const f = u - i;
  return [path[2 * i]! + f * (path[2 * i + 2]! - path[2 * i]!), path[2 * i + 1]! + f * (path[2 * i + 3]! - path[2 * i + 1]!)];
}

/** Geodesic acceleration −Γ(z)(u, u) at m points, from g and ∂g. */
async function accelerations(jets: MetricJetFn, z: Float64Array, u: Float64Array, m: number): Promise<Float64Array> {
  const { g, dg } = await jets(z, m);
  const acc = new Float64Array(m * D2);
  const lower = new Float64Array(D2);
  for (let p = 0; p < m; p++) {
    const dgp = (k: number, a: number, b: number): number => dg[((p * D2 + k) * D2 + a) * D2 + b]!;
    const uu = [u[2 * p]!, u[2 * p + 1]!];
    // Γ_kij u^i u^j = Σ_ij u^i u^j (∂_i g_kj − ½ ∂_k g_ij); then raise k with g⁻¹.
    lower.fill(0);
    for (let k = 0; k < D2; k++)
      for (let i = 0; i < D2; i++) for (let j = 0; j < D2; j++) lower[k]! += uu[i]! * uu[j]! * (dgp(i, k, j) - 0.5 * dgp(k, i, j));
    const gi = inverse(g.subarray(4 * p, 4 * p + 4), D2);
    acc[2 * p] = -(gi[0]! * lower[0]! + gi[1]! * lower[1]!);
    acc[2 * p + 1] = -(gi[2]! * lower[0]! + gi[3]! * lower[1]!);
  }
  return acc;
}

/** exp_z0(u0) for m shots: RK4 on (z, u)' = (u, −Γ(z)(u, u)) over s ∈ [0, 1] in `steps` steps. */
export async function exponentialMap(
  jets: MetricJetFn,
  z0: Float64Array,
  u0: Float64Array,
  m: number,
  steps: number,
): Promise<Float64Array> {
  let z = z0.slice();
  let u = u0.slice();
  const dt = 1 / steps;
  const axpy = (a: Float64Array, s: number, b: Float64Array): Float64Array => a.map((v, i) => v + s * b[i]!);
  for (let s = 0; s < steps; s++) {
    const k1z = u;
    const k1u = await accelerations(jets, z, u, m);
    const z2 = axpy(z, dt / 2, k1z);
    const u2 = axpy(u, dt / 2, k1u);
    const k2u = await accelerations(jets, z2, u2, m);
    const z3 = axpy(z, dt / 2, u2);
    const u3 = axpy(u, dt / 2, k2u);
    const k3u = await accelerations(jets, z3, u3, m);
    const z4 = axpy(z, dt, u3);
    const u4 = axpy(u, dt, k3u);
    const k4u = await accelerations(jets, z4, u4, m);
    z = z.map((v, i) => v + (dt / 6) * (k1z[i]! + 2 * u2[i]! + 2 * u3[i]! + u4[i]!));
    u = u.map((v, i) => v + (dt / 6) * (k1u[i]! + 2 * k2u[i]! + 2 * k3u[i]! + k4u[i]!));
  }
  return z;
}

/**
 * log_p(q_j) from discrete geodesics p → q_j (paths: count×(N+1)×2, lengths: count): the direction
 * of the one-sided second-order difference at p, scaled to |v|_{g(p)} = the geodesic's length.
 */
function logFromPaths(paths: Float64Array, lengths: Float64Array, count: number, N: number, gp: Float64Array): Float64Array {
  const v = new Float64Array(count * D2);
  for (let j = 0; j < count; j++) {
    const o = j * (N + 1) * D2;
    const d = [0, 1].map((a) =>
      N >= 2 ? -3 * paths[o + a]! + 4 * paths[o + 2 + a]! - paths[o + 4 + a]! : paths[o + 2 + a]! - paths[o + a]!,
    );
    const norm = Math.sqrt(gp[0]! * d[0]! ** 2 + 2 * gp[1]! * d[0]! * d[1]! + gp[3]! * d[1]! ** 2);
    const scale = norm > 0 ? lengths[j]! / norm : 0;
    v[2 * j] = d[0]! * scale;
    v[2 * j + 1] = d[1]! * scale;
  }
  return v;
}

/**
 * Refine log_p(q_j) by shooting: Newton on exp_p(v) = q_j, with ∂exp_p/∂v from two extra shots per
 * target (forward differences in v), so that the exponential map used for the lines sends each log
 * back onto its point. Starts from the boundary-value estimate v0; all targets in one batch.
 */
async function shootingLogs(
  jets: MetricJetFn,
  p: Float64Array,
  q: Float64Array,
  v0: Float64Array,
  count: number,
  steps: number,
  iters: number,
): Promise<Float64Array> {
  const v = v0.slice();
  // The best velocity seen per target (smallest miss): a diverging Newton step is never kept.
  const best = v0.slice();
  const bestMiss = new Float64Array(count).fill(Infinity);
  for (let it = 0; it <= iters; it++) {
    const u0 = new Float64Array(3 * count * D2);
    const e = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      e[j] = 1e-3 * Math.max(Math.hypot(v[2 * j]!, v[2 * j + 1]!), 1e-3);
      for (let s = 0; s < 3; s++) {
        u0[(3 * j + s) * D2] = v[2 * j]! + (s === 1 ? e[j]! : 0);
        u0[(3 * j + s) * D2 + 1] = v[2 * j + 1]! + (s === 2 ? e[j]! : 0);
      }
    }
    const z0 = new Float64Array(3 * count * D2).map((_, i) => p[i % D2]!);
    const end = await exponentialMap(jets, z0, u0, 3 * count, steps);
    for (let j = 0; j < count; j++) {
      const o = 3 * j * D2;
      const r0 = q[2 * j]! - end[o]!;
      const r1 = q[2 * j + 1]! - end[o + 1]!;
      const missJ = Math.hypot(r0, r1);
      if (missJ < bestMiss[j]!) {
        bestMiss[j] = missJ;
        best[2 * j] = v[2 * j]!;
        best[2 * j + 1] = v[2 * j + 1]!;
      }
      if (it === iters) continue;
      // Columns of ∂exp/∂v: (end(v + e·x̂) − end(v)) / e and (end(v + e·ŷ) − end(v)) / e.
      const a = (end[o + 2]! - end[o]!) / e[j]!;
      const c = (end[o + 3]! - end[o + 1]!) / e[j]!;
      const b = (end[o + 4]! - end[o]!) / e[j]!;
      const d = (end[o + 5]! - end[o + 1]!) / e[j]!;
      const det = a * d - b * c;
      if (!Number.isFinite(det) || det === 0 || !Number.isFinite(r0 + r1)) continue;
      let dv0 = (d * r0 - b * r1) / det;
      let dv1 = (-c * r0 + a * r1) / det;
      // Damped: a step at most half as long as v itself (the shots are far from linear in v).
      const cap = (0.5 * Math.max(Math.hypot(best[2 * j]!, best[2 * j + 1]!), 1e-3)) / Math.max(Math.hypot(dv0, dv1), 1e-300);
      if (cap < 1) {
        dv0 *= cap;
        dv1 *= cap;
      }
      v[2 * j] = best[2 * j]! + dv0;
      v[2 * j + 1] = best[2 * j + 1]! + dv1;
    }
  }
  return best;
}

/** Closest pair of vertices of two polylines: their midpoint. */
function crossing(a: Float64Array, b: Float64Array): Float64Array {
  let best = Infinity;
  const out = new Float64Array(D2);
  for (let i = 0; i < a.length; i += 2)
    for (let j = 0; j < b.length; j += 2) {
      const dd = (a[i]! - b[j]!) ** 2 + (a[i + 1]! - b[j + 1]!) ** 2;
      if (dd < best) {
        best = dd;
        out[0] = (a[i]! + b[j]!) / 2;
        out[1] = (a[i + 1]! + b[j + 1]!) / 2;
      }
    }
  return out;
}

/** The research's geodesic length ratio on the latent box [x0, x1] × [y0, y1] (d = 2); see the module doc. */
export async function geodesicGridRatio(
  metricAt: MetricFn,
  box: readonly (readonly [number, number])[],
  options: GeodesicGridOptions = {},
): Promise<GeodesicGridResult> {
  if (box.length !== D2) throw new RangeError(`geodesicGridRatio: needs a 2-d box, got ${box.length} dimensions`);
  const L = options.lines ?? 11;
  const M = options.points ?? 20;
  if (!(L >= 1 && M >= 2)) throw new RangeError(`geodesicGridRatio: need lines ≥ 1 and points ≥ 2, got ${L} and ${M}`);
  const N = options.segments ?? 16;
  const h = options.fdStep ?? 1e-3;
  const jets = options.jets ?? finiteDifferenceJets(metricAt, D2, h);
  const solverOptions = { segments: N, maxIter: options.maxIter ?? 100, tol: options.tol ?? 1e-10, jets };
  const solve = (from: number[], to: number[]) =>
    geodesicLengthRatio(metricAt, Float64Array.from(from), Float64Array.from(to), from.length / D2, D2, solverOptions);
  const pathOf = (paths: Float64Array, p: number, n = N): Float64Array => paths.subarray(p * (n + 1) * D2, (p + 1) * (n + 1) * D2);

  const [[x0, x1], [y0, y1]] = box as [[number, number], [number, number]];
  // 1. Border geodesics: bottom, top (left → right), left, right (bottom → top).
  const border = await solve([x0, y0, x0, y1, x0, y0, x1, y0], [x1, y0, x1, y1, x0, y1, x1, y1]);
  const at = (p: number, i: number): [number, number] => alongPath(pathOf(border.paths, p), L > 1 ? i / (L - 1) : 0.5);
  const c = Math.floor(L / 2);
  const left = Array.from({ length: L }, (_, i) => at(2, i));
  const right = Array.from({ length: L }, (_, i) => at(3, i));
  // 2. Horizontal geodesics and the central vertical one.
  const grid = await solve([...left.flat(), ...at(0, c)], [...right.flat(), ...at(1, c)]);
  // 3. Base point.
  const p = crossing(pathOf(grid.paths, c), pathOf(grid.paths, L));
  // 4. log_p of both ends of every horizontal geodesic.
  const toEnds = await solve(Array.from({ length: 2 * L }, () => [p[0]!, p[1]!]).flat(), [...left.flat(), ...right.flat()]);
  const gp = (await jets(p, 1)).g;
  const steps = options.shootSteps ?? 16;
  const ends = Float64Array.from([...left.flat(), ...right.flat()]);
  const logs = await shootingLogs(
    jets,
    p,
    ends,
    logFromPaths(toEnds.paths, toEnds.geodesicLengths, 2 * L, N, gp),
    2 * L,
    steps,
    options.logIter ?? 4,
  );
  // 5. exp_p of `points` points on each straight segment log_p(left_i) → log_p(right_i).
  const u0 = new Float64Array(L * M * D2);
  for (let i = 0; i < L; i++)
    for (let k = 0; k < M; k++)
      for (let a = 0; a < D2; a++) {
        const va = logs[2 * i + a]!;
        u0[(i * M + k) * D2 + a] = va + (k / (M - 1)) * (logs[2 * (L + i) + a]! - va);
      }
  const z0 = new Float64Array(L * M * D2).map((_, j) => p[j % D2]!);
  const images = await exponentialMap(jets, z0, u0, L * M, steps);
  // 6. Consecutive images joined by (short) geodesics.
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < L; i++)
    for (let k = 0; k + 1 < M; k++) {
      const o = (i * M + k) * D2;
      from.push(images[o]!, images[o + 1]!);
      to.push(images[o + 2]!, images[o + 3]!);
    }
  const pieces = await geodesicLengthRatio(metricAt, Float64Array.from(from), Float64Array.from(to), L * (M - 1), D2, {
    ...solverOptions,
    segments: 4,
  });
  const logLineLengths = new Float64Array(L);
  for (let i = 0; i < L; i++) for (let k = 0; k + 1 < M; k++) logLineLengths[i]! += pieces.geodesicLengths[i * (M - 1) + k]!;
  const geodesicLengths = grid.geodesicLengths.slice(0, L);
  // exp_p(log_p(q)) must land back on q: a line whose shots miss its ends by more than 5 % of the
  // box diagonal (a shot through a near-degenerate g) is left out (NaN) rather than averaged in.
  const tolerance = 0.05 * Math.hypot(x1 - x0, y1 - y0);
  const miss = (i: number, k: number, q: readonly number[]): number =>
    Math.hypot(images[(i * M + k) * D2]! - q[0]!, images[(i * M + k) * D2 + 1]! - q[1]!);
  const endpointMiss = Float64Array.from({ length: L }, (_, i) => Math.max(miss(i, 0, left[i]!), miss(i, M - 1, right[i]!)));
  const ratios = geodesicLengths.map((g, i) => (endpointMiss[i]! <= tolerance ? g / logLineLengths[i]! : NaN));
  const kept = ratios.filter((r) => Number.isFinite(r));
  const mean = kept.length ? kept.reduce((s, r) => s + r, 0) / kept.length : NaN;
  return { mean, ratios, failedLines: L - kept.length, endpointMiss, geodesicLengths, logLineLengths, basePoint: p, lines: L, points: M };
}
