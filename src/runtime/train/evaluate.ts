/**
 * Test metrics of a session: reconstruction MSE, and the geometry of the decoder at the encoded test
 * points — mean R²√det g (the reference work's headline number), mean √det g, degenerate points —
 * plus the configured functional with the batch measure on those points. float32 (tfjs kernels).
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { curvatureFunctional } from "./losses.js";
import type { PointGeometry } from "../onnx/geometry.js";
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

/** Per-point geometry at codes z (n × d), e.g. by ONNX Runtime (onnx/geometry.ts); null: use tfjs. */
export type GeometryFn = (z: Float64Array, n: number) => Promise<PointGeometry | null>;

const GEOMETRY_CHUNK = 512;

/** R, √det g, the mask and g at latent points z (n × d) through the session's tfjs kernels (float32). */
export function tfjsGeometry(session: Session, z: Float64Array, n: number): PointGeometry {
  const d = session.latentDim;
  const out: PointGeometry = {
    R: new Float64Array(n),
    sqrtDetG: new Float64Array(n),
    ok: new Uint8Array(n),
    g: new Float64Array(n * d * d),
  };
  const setup = { ...session.curvature, functional: "R2" as const };
  for (let s = 0; s < n; s += GEOMETRY_CHUNK) {
    const m = Math.min(GEOMETRY_CHUNK, n - s);
    const [R, sq, mask, g] = readTidy(() => {
      const zt = tf.tensor2d(Float32Array.from(z.subarray(s * d, (s + m) * d)), [m, d]);
      const decW = session.decoder.weights(tf, session.variable("decoder"));
      const c = curvatureFunctional(setup, decW, null, null, zt, 1);
      return [c.R, c.sqrtdetg, c.mask, session.decoder.kernels["metric"]!(tf, decW, zt)["g"]!];
    });
    for (let i = 0; i < m; i++) {
      out.R[s + i] = R![i]!;
      out.sqrtDetG[s + i] = sq![i]!;
      out.ok[s + i] = mask![i]! > 0 ? 1 : 0;
    }
    out.g.set(g!, s * d * d);
  }
  return out;
}

/**
 * Test metrics of the session's current parameters on the first n rows of x. Encoding and
 * reconstruction run on tfjs; the per-point geometry runs on `geometry` where given and available
 * (the onnx engine passes ONNX Runtime's, which is far faster than tfjs at research widths), else
 * on tfjs.
 */
export async function evaluateSession(
  session: Session,
  x: Float32Array,
  n: number,
  opts: { chunk?: number; functionalPoints?: number; geometry?: GeometryFn | undefined } = {},
): Promise<TestMetrics> {
  const D = session.model.outputDim;
  const chunk = opts.chunk ?? 1024;
  const sums = { se: 0, r2: 0, sq: 0, absR: 0, good: 0, degenerate: 0 };
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const [se, z] = readTidy(() => {
      const xb = tf.tensor2d(x.subarray(start * D, (start + m) * D), [m, D]);
      const decW = session.decoder.weights(tf, session.variable("decoder"));
      const codes = session.encode(xb).z;
      const xhat = session.decoder.decoderJets(tf, decW, codes, 0)[0]!;
      return [tf.sum(tf.square(tf.sub(xhat, xb))), codes];
    });
    sums.se += se![0]!;
    const codes = Float64Array.from(z!);
    const geo = (opts.geometry ? await opts.geometry(codes, m) : null) ?? tfjsGeometry(session, codes, m);
    for (let p = 0; p < m; p++) {
      if (!geo.ok[p]) {
        sums.degenerate++;
        continue;
      }
      const R = geo.R[p]!;
      sums.r2 += R * R * geo.sqrtDetG[p]!;
      sums.sq += geo.sqrtDetG[p]!;
      sums.absR += Math.abs(R);
      sums.good++;
    }
  }
  const { se, r2, sq, absR, good, degenerate } = sums;
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
