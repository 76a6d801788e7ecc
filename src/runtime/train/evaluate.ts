/**
 * Test metrics of a session: reconstruction MSE, and the geometry of the decoder at the encoded test
 * points — mean R²√det g (the reference work's headline number), mean √det g, degenerate points —
 * plus the configured functional with the batch measure on those points. float32 (tfjs kernels).
 */
import * as tf from "@tensorflow/tfjs";
import { curvatureFunctional } from "./losses.js";
import type { Session } from "./session.js";

export interface TestMetrics {
  n: number;
  mse: number;
  /** Mean over non-degenerate test points of R²√det g. */
  meanR2SqrtDetG: number;
  meanSqrtDetG: number;
  meanAbsR: number;
  /** Test points with det g ≤ ε (excluded from the means). */
  degenerate: number;
  /** The configured functional (R2, F or W) with the batch measure on (at most `limit`) test points. */
  functional: number;
}

export function evaluateSession(
  session: Session,
  x: Float32Array,
  n: number,
  opts: { chunk?: number; functionalPoints?: number } = {},
): TestMetrics {
  const D = session.model.outputDim;
  const chunk = opts.chunk ?? 1024;
  let se = 0;
  let r2 = 0;
  let sq = 0;
  let absR = 0;
  let good = 0;
  let degenerate = 0;
  const setup = { ...session.curvature, functional: "R2" as const };
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const vals = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * D, (start + m) * D), [m, D]);
      const decW = session.decoder.weights(tf, session.variable("decoder"));
      const { z } = session.encode(xb);
      const xhat = session.decoder.decoderJets(tf, decW, z, 0)[0]!;
      const c = curvatureFunctional(setup, decW, null, null, z, 1);
      return tf
        .stack([
          tf.sum(tf.square(tf.sub(xhat, xb))),
          c.r2,
          tf.sum(tf.mul(c.mask, c.sqrtdetg)),
          tf.sum(tf.mul(c.mask, tf.abs(c.R))),
          tf.sum(c.mask),
          c.degenerate,
        ])
        .dataSync();
    });
    se += vals[0]!;
    r2 += vals[1]!;
    sq += vals[2]!;
    absR += vals[3]!;
    good += vals[4]!;
    degenerate += vals[5]!;
  }
  let functional = r2 / Math.max(good, 1);
  if (session.functional !== "R2" && session.vars.has("potential")) {
    const m = Math.min(n, opts.functionalPoints ?? 2048);
    functional = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(0, m * D), [m, D]);
      const { z } = session.encode(xb);
      const decW = session.decoder.weights(tf, session.variable("decoder"));
      return curvatureFunctional(session.curvature, decW, session.variable("potential"), session.logTau(), z, 1 / m).value.dataSync()[0]!;
    });
  } else if (n > 0) functional = r2 / n;
  return {
    n,
    mse: se / Math.max(n * D, 1),
    meanR2SqrtDetG: r2 / Math.max(good, 1),
    meanSqrtDetG: sq / Math.max(good, 1),
    meanAbsR: absR / Math.max(good, 1),
    degenerate,
    functional,
  };
}
