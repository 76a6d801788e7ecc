/**
 * The integration measure of the curvature functionals: where the Monte Carlo points come from and
 * what weight each carries. Every functional is Σ_p w·μ_p·h(z_p) with μ_p = √det g(z_p) (masked
 * for degenerate points), so
 *   - batch:   the encoded batch points, w = 1/n — an average against the data distribution in
 *              latent space (what the reference work does), not ∫ · dz;
 *   - uniform: n uniform samples in the latent box, w = vol(box)/n — an unbiased estimate of ∫ · dz;
 *   - grid:    cell centres of a resolution^d grid over the box, w = vol(box)/resolution^d.
 * The box is the flat torus (−π, π]^d for a periodic latent, else `measure.box`, else the bounding
 * box of the encoded training set (recomputed each epoch) widened by `measure.margin` on each side.
 */
import { Rng } from "../../util/random.js";
import { UserError } from "../../util/errors.js";
import type { MeasureKind } from "./config.js";

export type Box = [number, number][];

export interface MeasureSpec {
  kind: MeasureKind;
  points: number;
  resolution: number;
  box?: Box | undefined;
  margin: number;
}

export function describeMeasure(spec: MeasureSpec, torus: boolean): string {
  switch (spec.kind) {
    case "batch":
      return "batch: encoded batch points, weight 1/n (an average against the data distribution, not Lebesgue measure)";
    case "uniform":
      return `uniform: ${spec.points} uniform samples per step in ${boxSource(spec, torus)}, weight vol/n (estimates ∫ · dz)`;
    case "grid":
      return `grid: ${spec.resolution}^d cell centres over ${boxSource(spec, torus)}, weight = cell volume (∫ · dz by the midpoint rule)`;
  }
}

function boxSource(spec: MeasureSpec, torus: boolean): string {
  if (torus) return "the flat torus (−π, π]^d";
  if (spec.box) return `the box ${JSON.stringify(spec.box)}`;
  return `the encoded training set's bounding box (per epoch, margin ${spec.margin})`;
}

/** The box for the uniform/grid measure, given the encoded training set's per-dimension range. */
export function measureBox(spec: MeasureSpec, d: number, torus: boolean, encodedRange: () => Box): Box | null {
  if (spec.kind === "batch") return null;
  if (torus) return Array.from({ length: d }, () => [-Math.PI, Math.PI] as [number, number]);
  if (spec.box) {
    if (spec.box.length !== d) throw new UserError("measure.box", `gives ${spec.box.length} ranges but the latent dimension is ${d}`);
    return spec.box;
  }
  return encodedRange().map(([lo, hi]) => {
    const pad = spec.margin * Math.max(hi - lo, 1e-6);
    return [lo - pad, hi + pad] as [number, number];
  });
}

export function checkMeasure(spec: MeasureSpec, d: number): void {
  if (spec.kind === "grid" && spec.resolution ** d > 65536)
    throw new UserError(
      "measure.resolution",
      `${spec.resolution}^${d} = ${spec.resolution ** d} grid points per step is too many (at most 65536)`,
    );
}

/** Points (n × d, row-major) and the weight of each for a uniform or grid measure. */
export function measurePoints(spec: MeasureSpec, box: Box, rng: Rng): { points: Float32Array; n: number; weight: number } {
  const d = box.length;
  const vol = box.reduce((v, [lo, hi]) => v * (hi - lo), 1);
  if (spec.kind === "uniform") {
    const n = spec.points;
    const points = new Float32Array(n * d);
    for (let p = 0; p < n; p++) for (let i = 0; i < d; i++) points[p * d + i] = box[i]![0] + (box[i]![1] - box[i]![0]) * rng.uniform();
    return { points, n, weight: vol / n };
  }
  if (spec.kind === "grid") {
    const r = spec.resolution;
    const n = r ** d;
    const points = new Float32Array(n * d);
    for (let p = 0; p < n; p++) {
      let rest = p;
      for (let i = 0; i < d; i++) {
        const k = rest % r;
        rest = Math.floor(rest / r);
        points[p * d + i] = box[i]![0] + ((k + 0.5) / r) * (box[i]![1] - box[i]![0]);
      }
    }
    return { points, n, weight: vol / n };
  }
  throw new Error("batch measure has no fixed points");
}
