/**
 * Both geodesic length ratios of an evaluation: ours (random pairs of encoded test codes, geodesic
 * vs straight latent segment) and the research's (a grid of geodesics seen through a logarithmic
 * chart, d = 2 only). g and its exact first derivatives come from the decoder's second-order jets.
 *
 * Cost: every solver iteration evaluates the jets at pairs·segments midpoints, and each exp-map
 * RK4 step at 4·lines·points points; `metricPoints` in eval.json counts them. The jets come from
 * ONNX Runtime (onnx/geometry.ts) where it loads. Only on the tfjs fallback does a wide decoder
 * (D > 100, e.g. the TorusAE's 784 outputs: ≈ 5–15 ms of CPU per point with tfjs wasm) get
 * smaller defaults: 8 random pairs with 8 segments and ≤ 40 iterations (≈ 1,800 points), and no grid
 * unless asked for (then 8 points per line, 8 segments, ≤ 30 iterations, 10 RK4 steps, 2 shooting
 * iterations: ≈ 9,000 points for 5 lines). Converged pairs stop early (see `geodesicLengthRatio`).
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { Rng } from "../../util/random.js";
import { geodesicGridRatio, geodesicLengthRatio, randomPairs, summarize, type MetricFn, type MetricJetFn } from "../eval/index.js";
import { onnxMetricJets } from "../onnx/geometry.js";
import type { Session } from "../train/session.js";
import type { RunEvaluation } from "./eval-file.js";

export interface GeodesicEvalOptions {
  /** Random pairs for our ratio (0 skips it). */
  geodesicPairs?: number;
  geodesicIter?: number;
  geodesicTol?: number;
  /** Lines of the research's grid (0 skips it). */
  geodesicGridLines?: number;
  /** Points per straight line in the logarithmic chart. */
  geodesicGridPoints?: number;
  geodesicGridIter?: number;
  seed?: number;
}

const CHUNK = 512;

/**
 * g and exact ∂g at m latent points from the decoder's second-order jets (float32 network, float64
 * inner products): g_ij = ⟨∂_iΨ, ∂_jΨ⟩, ∂_k g_ij = ⟨∂_k∂_iΨ, ∂_jΨ⟩ + ⟨∂_iΨ, ∂_k∂_jΨ⟩. One jet
 * evaluation costs 1 + d + d(d+1)/2 columns against 3(1 + 2d) for the metric on a central stencil.
 */
export function metricJets(session: Session): MetricJetFn {
  const d = session.latentDim;
  const D = session.model.outputDim;
  // Jet columns in graded order: [], [0] … [d−1], then [i, j] for i ≤ j, lexicographic.
  const second = (i: number, j: number): number => {
    const [a, b] = i <= j ? [i, j] : [j, i];
    return 1 + d + a * d - (a * (a - 1)) / 2 + (b - a);
  };
  // The run's module has the jet orders of its route (2 for B; 0, 1, 3 for A): the smallest ≥ 2 holds the columns used.
  const order = Math.min(...session.decoder.jetOrders.filter((o) => o >= 2));
  return (pts, count) => {
    const g = new Float64Array(count * d * d);
    const dg = new Float64Array(count * d * d * d);
    for (let s = 0; s < count; s += CHUNK) {
      const m = Math.min(CHUNK, count - s);
      const cols = readTidy(() => {
        const decW = session.decoder.weights(tf, session.variable("decoder"));
        const zt = tf.tensor2d(Float32Array.from(pts.subarray(s * d, (s + m) * d)), [m, d]);
        return session.decoder.decoderJets(tf, decW, zt, order);
      });
      const dot = (c1: number, c2: number, p: number): number => {
        const x = cols[c1]!;
        const y = cols[c2]!;
        let r = 0;
        for (let o = p * D; o < (p + 1) * D; o++) r += x[o]! * y[o]!;
        return r;
      };
      for (let p = 0; p < m; p++) {
        const q = s + p;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g[(q * d + i) * d + j] = dot(1 + i, 1 + j, p);
        for (let k = 0; k < d; k++)
          for (let i = 0; i < d; i++)
            for (let j = i; j < d; j++) {
              const v = dot(second(k, i), 1 + j, p) + dot(1 + i, second(k, j), p);
              dg[((q * d + k) * d + i) * d + j] = v;
              dg[((q * d + k) * d + j) * d + i] = v;
            }
      }
    }
    return { g, dg };
  };
}

/** g at m latent points through the run's metric kernel (float32). */
export function metricFn(session: Session): MetricFn {
  const d = session.latentDim;
  return (pts, count) =>
    Float64Array.from(
      readTidy(() => {
        const decW = session.decoder.weights(tf, session.variable("decoder"));
        return session.decoder.kernels["metric"]!(tf, decW, tf.tensor2d(Float32Array.from(pts), [count, d]))["g"]!;
      }),
    );
}

/**
 * Our ratio between random pairs of the m codes z, and the research's grid over `box` (the latent
 * grid's box: the flat torus, or the codes' bounding box). Notes what was skipped and why.
 */
export async function geodesicScores(
  session: Session,
  z: Float64Array,
  m: number,
  box: [number, number][] | null,
  opts: GeodesicEvalOptions,
  notes: string[],
  /** Called with "geodesic" and "geodesicGrid" as each finishes (timing). */
  done: (phase: string) => void = () => {},
): Promise<{ geodesic: RunEvaluation["geodesic"]; geodesicGrid: RunEvaluation["geodesicGrid"] }> {
  const d = session.latentDim;
  // ONNX Runtime where it loads (far faster than tfjs at research widths), else the tfjs kernels.
  const fast = await onnxMetricJets(session);
  // The smaller defaults for wide decoders apply on tfjs only: with ONNX Runtime the full ones take seconds.
  const wide = session.model.outputDim > 100 && !fast;
  const metricAt: MetricFn = fast ? async (pts, count) => (await fast(pts, count)).g : metricFn(session);
  // Work is counted in points where g and ∂g are evaluated (one decoder jet each): load-independent.
  let points = 0;
  const exact = fast ?? metricJets(session);
  const jets: MetricJetFn = (z, count) => {
    points += count;
    return exact(z, count);
  };
  const tol = opts.geodesicTol ?? 1e-6; // g is float32
  let geodesic: RunEvaluation["geodesic"] = null;
  const pairs = m >= 2 ? (opts.geodesicPairs ?? (wide ? 8 : 32)) : 0;
  if (pairs > 0) {
    const segments = wide ? 8 : 16;
    const maxIter = opts.geodesicIter ?? (wide ? 40 : 100);
    const { from, to } = randomPairs(z, m, d, pairs, new Rng(opts.seed ?? 0));
    const r = await geodesicLengthRatio(metricAt, from, to, pairs, d, { segments, maxIter, tol, jets });
    geodesic = { pairs, segments, maxIter, meanRatio: r.mean, medianRatio: summarize(r.ratios).median, metricPoints: points };
    points = 0;
    if (session.torus) notes.push("geodesics are computed in the chart (−π, π]^d, without wrapping around the torus");
  }
  done("geodesic");
  let geodesicGrid: RunEvaluation["geodesicGrid"] = null;
  // Off by default for wide decoders on tfjs: ≈ 9,000 jet points for 5 lines, minutes of CPU (--geodesic-grid-lines 5).
  const lines = opts.geodesicGridLines ?? (wide ? 0 : 11);
  if (lines === 0 && wide && opts.geodesicGridLines === undefined)
    notes.push("no geodesic grid ratio by default for D > 100 (minutes of CPU): `ricci-gen eval --geodesic-grid-lines 5` computes it");
  if (lines > 0 && d === 2 && box) {
    const linePoints = opts.geodesicGridPoints ?? (wide ? 8 : 20);
    const segments = wide ? 8 : 16;
    const maxIter = opts.geodesicGridIter ?? (wide ? 30 : 100);
    const shootSteps = wide ? 10 : 16;
    const r = await geodesicGridRatio(metricAt, box, {
      lines,
      points: linePoints,
      segments,
      maxIter,
      tol,
      jets,
      shootSteps,
      logIter: wide ? 2 : 4,
    });
    geodesicGrid = {
      lines,
      points: linePoints,
      segments,
      maxIter,
      shootSteps,
      box,
      basePoint: Array.from(r.basePoint),
      meanRatio: r.mean,
      medianRatio: summarize(r.ratios).median,
      ratios: Array.from(r.ratios),
      failedLines: r.failedLines,
      metricPoints: points,
    };
    if (r.failedLines > 0)
      notes.push(`geodesic grid: ${r.failedLines} of ${lines} lines left out (their exponential-map shots missed the line's ends)`);
  } else if (lines > 0 && d !== 2) notes.push(`latent dimension ${d}: no geodesic grid ratio (the research's estimator is 2-d)`);
  done("geodesicGrid");
  return { geodesic, geodesicGrid };
}
