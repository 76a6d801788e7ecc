/**
 * Both geodesic length ratios of an evaluation, with g from the run's tfjs metric kernel: ours
 * (random pairs of encoded test codes, geodesic vs straight latent segment) and the research's
 * (a grid of geodesics seen through a logarithmic chart, d = 2 only).
 *
 * Cost: every solver iteration evaluates g at pairs·segments·(1 + 2d) points. A wide decoder
 * (D > 100, e.g. the TorusAE's 784 outputs) makes each evaluation costly, so its defaults are
 * smaller: 8 random pairs and 60 iterations; a 5-line grid with 8 points per line, 8 segments and
 * 40 iterations (≈ 1 min on 2 CPU cores with tfjs wasm). Converged pairs stop early.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../util/random.js";
import { geodesicGridRatio, geodesicLengthRatio, randomPairs, summarize, type MetricFn } from "../eval/index.js";
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

/** g at m latent points through the run's metric kernel (float32). */
export function metricFn(session: Session): MetricFn {
  const d = session.latentDim;
  return (pts, count) =>
    Float64Array.from(
      tf.tidy(() => {
        const decW = session.decoder.weights(tf, session.variable("decoder"));
        return session.decoder.kernels["metric"]!(tf, decW, tf.tensor2d(Float32Array.from(pts), [count, d]))["g"]!.dataSync() as Float32Array;
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
): Promise<{ geodesic: RunEvaluation["geodesic"]; geodesicGrid: RunEvaluation["geodesicGrid"] }> {
  const d = session.latentDim;
  const wide = session.model.outputDim > 100;
  const metricAt = metricFn(session);
  // fdStep relative to the latent spread: float32 finite differences need a step well above 1e-3·|z|.
  const spread = box ? Math.max(...box.map(([lo, hi]) => hi - lo)) : 1;
  const fdStep = 1e-3 * Math.max(spread, 1e-3);
  const tol = opts.geodesicTol ?? 1e-6; // g is float32
  let geodesic: RunEvaluation["geodesic"] = null;
  const pairs = m >= 2 ? (opts.geodesicPairs ?? (wide ? 8 : 32)) : 0;
  if (pairs > 0) {
    const segments = 16;
    const maxIter = opts.geodesicIter ?? (wide ? 60 : 100);
    const { from, to } = randomPairs(z, m, d, pairs, new Rng(opts.seed ?? 0));
    const r = await geodesicLengthRatio(metricAt, from, to, pairs, d, { segments, maxIter, tol, fdStep });
    geodesic = { pairs, segments, maxIter, meanRatio: r.mean, medianRatio: summarize(r.ratios).median };
    if (session.torus) notes.push("geodesics are computed in the chart (−π, π]^d, without wrapping around the torus");
  }
  let geodesicGrid: RunEvaluation["geodesicGrid"] = null;
  const lines = opts.geodesicGridLines ?? (wide ? 5 : 11);
  if (lines > 0 && d === 2 && box) {
    const points = opts.geodesicGridPoints ?? (wide ? 8 : 20);
    const segments = wide ? 8 : 16;
    const maxIter = opts.geodesicGridIter ?? (wide ? 40 : 100);
    const r = await geodesicGridRatio(metricAt, box, { lines, points, segments, maxIter, tol, fdStep, shootSteps: wide ? 8 : 16 });
    geodesicGrid = {
      lines,
      points,
      segments,
      maxIter,
      box,
      basePoint: Array.from(r.basePoint),
      meanRatio: r.mean,
      medianRatio: summarize(r.ratios).median,
      ratios: Array.from(r.ratios),
    };
  } else if (lines > 0 && d !== 2) notes.push(`latent dimension ${d}: no geodesic grid ratio (the research's estimator is 2-d)`);
  return { geodesic, geodesicGrid };
}
