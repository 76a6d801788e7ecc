/**
 * The evaluation's latent files beyond latent.json: `latent.npy`, every test code of the run (no
 * cap; latent.json keeps a 2,000-code sample with its colourings for the pictures), and the metric
 * g on a coarse grid of the latent box (`metricGrid` in latent.json), from which the pictures draw
 * indicatrices, the ellipses {v : vᵀ g v = 1}.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { writeFileAtomic } from "../../util/atomic.js";
import { encodeNpy } from "../data/npy.js";
import type { Session, SessionData } from "../train/session.js";

export const LATENT_CODES_FILE = "latent.npy";

/** g = [[g11, g12], [g12, g22]] per cell of an nx × ny grid over a 2-d latent box. */
export interface MetricGrid {
  nx: number;
  ny: number;
  /** Cell edges [x0, x1, y0, y1]; cell (i, j) is centred at x0 + (i + ½)(x1 − x0)/nx, y likewise. */
  extent: [number, number, number, number];
  /** (g11, g12, g22) of cell (i, j) at 3·(j·nx + i); null where det g ≤ ε. */
  g: (number | null)[];
}

/** Encodes every test row (n × D) and writes runDir/latent.npy (float32, test.n × d) atomically. */
export function writeLatentCodes(runDir: string, session: Session, data: SessionData): string {
  const D = session.model.outputDim;
  const d = session.latentDim;
  const n = data.test.n;
  const z = new Float32Array(n * d);
  const chunk = 1024;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    z.set(
      readTidy(() => session.encode(tf.tensor2d(data.testX.subarray(s * D, (s + m) * D), [m, D])).z),
      s * d,
    );
  }
  const path = join(runDir, LATENT_CODES_FILE);
  writeFileAtomic(path, encodeNpy(z, [n, d]));
  return path;
}

const round = (v: number): number => Number(v.toPrecision(6));

/**
 * A coarse metric grid from the g of a fine res × res grid (n × 2 × 2, first axis fastest): every
 * `stride`-th cell, centred in its block, so that about `target` cells per axis remain.
 */
export function coarseMetricGrid(
  g: Float64Array,
  ok: Uint8Array,
  res: number,
  extent: [number, number, number, number],
  target = 12,
): MetricGrid {
  const stride = Math.max(1, Math.floor(res / target));
  const m = Math.floor(res / stride);
  const [x0, x1, y0, y1] = extent;
  const offset = Math.floor(stride / 2);
  const values: (number | null)[] = [];
  for (let J = 0; J < m; J++)
    for (let I = 0; I < m; I++) {
      const c = (J * stride + offset) * res + (I * stride + offset);
      if (!ok[c]) values.push(null, null, null);
      else values.push(round(g[4 * c]!), round(g[4 * c + 1]!), round(g[4 * c + 3]!));
    }
  // The picked cells' centres span a box of m cells of `stride` fine cells each, shifted by the
  // offset of the picked cell within its block.
  const dx = (x1 - x0) / res;
  const dy = (y1 - y0) / res;
  const shiftX = (offset + 0.5 - stride / 2) * dx;
  const shiftY = (offset + 0.5 - stride / 2) * dy;
  return { nx: m, ny: m, extent: [x0 + shiftX, x0 + shiftX + m * stride * dx, y0 + shiftY, y0 + shiftY + m * stride * dy], g: values };
}
