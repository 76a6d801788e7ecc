/**
 * Geometric marks drawn over latent pictures:
 *
 * - Indicatrices: at each cell of a grid over the latent box, the ellipse {v : vᵀ g v = 1} of the
 *   pullback metric g. Its semi-axes are 1/√λ along the eigenvectors of g: a circle means g is
 *   conformal there, equal ellipses mean the decoder stretches uniformly, a small ellipse means a
 *   strong stretch. One factor per panel scales them all to fit the grid (the caption states it).
 * - The flat torus (−π, π]²: codes wrapped into the box, the box drawn dashed (its opposite edges
 *   are identified), and faint copies of the codes across each edge so that wrap-around is visible.
 */
import { quantileSorted } from "./color.js";
import { px, type AxisScale } from "./svg.js";

/** g = [[g11, g12], [g12, g22]] per cell of an nx × ny grid; cell (i, j) at 3·(j·nx + i), NaN where degenerate. */
export interface MetricField {
  nx: number;
  ny: number;
  /** Cell edges [x0, x1, y0, y1]. */
  extent: readonly [number, number, number, number];
  g: ArrayLike<number>;
}

export interface Ellipse {
  /** Semi-axes in latent units (major ≥ minor). */
  major: number;
  minor: number;
  /** Angle of the major axis from the z₁ axis, radians. */
  angle: number;
}

/** The indicatrix {v : vᵀ g v = 1} of a symmetric positive-definite 2 × 2 g; null if g is not. */
export function indicatrix(g11: number, g12: number, g22: number): Ellipse | null {
  if (![g11, g12, g22].every(Number.isFinite)) return null;
  const mean = (g11 + g22) / 2;
  const radius = Math.hypot((g11 - g22) / 2, g12);
  const lMax = mean + radius;
  const lMin = mean - radius;
  if (!(lMin > 0)) return null;
  // The eigenvector of λmax is at ½·atan2(2 g12, g11 − g22); the major semi-axis (1/√λmin) is perpendicular.
  const angle = 0.5 * Math.atan2(2 * g12, g11 - g22) + Math.PI / 2;
  return { major: 1 / Math.sqrt(lMin), minor: 1 / Math.sqrt(lMax), angle };
}

const SEGMENTS = 20;

/** Closed polygon of an ellipse centred at (cx, cy) in latent units, mapped through the axes. */
function ellipsePath(cx: number, cy: number, e: Ellipse, k: number, xs: AxisScale, ys: AxisScale): string {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const pts: string[] = [];
  for (let i = 0; i < SEGMENTS; i++) {
    const t = (2 * Math.PI * i) / SEGMENTS;
    const u = k * e.major * Math.cos(t);
    const v = k * e.minor * Math.sin(t);
    pts.push(`${i === 0 ? "M" : "L"}${px(xs.map(cx + c * u - s * v))} ${px(ys.map(cy + s * u + c * v))}`);
  }
  return pts.join("") + "Z";
}

/**
 * SVG paths of the indicatrices of `field` and the factor they were scaled by: the 90th percentile
 * of the major semi-axes becomes 0.45 of a grid cell, so most ellipses stay inside their cell.
 */
export function indicatrixMarks(
  field: MetricField,
  xs: AxisScale,
  ys: AxisScale,
): { svg: string; scale: number; drawn: number; degenerate: number } {
  const { nx, ny, extent } = field;
  if (field.g.length !== 3 * nx * ny) throw new RangeError(`indicatrices: ${field.g.length} values for a ${nx} × ${ny} grid (3 per cell)`);
  const [x0, x1, y0, y1] = extent;
  const dx = (x1 - x0) / nx;
  const dy = (y1 - y0) / ny;
  const cells: { cx: number; cy: number; e: Ellipse }[] = [];
  let degenerate = 0;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const c = 3 * (j * nx + i);
      const e = indicatrix(field.g[c]!, field.g[c + 1]!, field.g[c + 2]!);
      if (e) cells.push({ cx: x0 + (i + 0.5) * dx, cy: y0 + (j + 0.5) * dy, e });
      else degenerate++;
    }
  if (cells.length === 0) return { svg: "", scale: NaN, drawn: 0, degenerate };
  const majors = Float64Array.from(cells.map((c) => c.e.major)).sort();
  const k = (0.45 * Math.min(dx, dy)) / quantileSorted(majors, 0.9);
  const d = cells.map((c) => ellipsePath(c.cx, c.cy, c.e, k, xs, ys)).join("");
  return {
    svg: `<path d="${d}" fill="none" stroke="#1a1a1a" stroke-opacity="0.6" stroke-width="0.8"/>`,
    scale: k,
    drawn: cells.length,
    degenerate,
  };
}

/** An angle wrapped to (−π, π]. */
export function wrapToTorus(v: number): number {
  const w = v - 2 * Math.PI * Math.round(v / (2 * Math.PI));
  return w <= -Math.PI ? w + 2 * Math.PI : w;
}

/** The axis domain of a torus picture: the box (−π, π] and a margin showing the copies across the edges. */
export const TORUS_VIEW: readonly [number, number] = [-(4 / 3) * Math.PI, (4 / 3) * Math.PI];

/** Offsets of the eight neighbouring copies of the fundamental box. */
export const TORUS_COPIES: readonly (readonly [number, number])[] = [-1, 0, 1]
  .flatMap((a) => [-1, 0, 1].map((b) => [2 * Math.PI * a, 2 * Math.PI * b] as const))
  .filter(([a, b]) => a !== 0 || b !== 0);

/** The dashed fundamental box [−π, π]² (its opposite edges are glued). */
export function torusFrame(xs: AxisScale, ys: AxisScale): string {
  const l = xs.map(-Math.PI);
  const r = xs.map(Math.PI);
  const t = ys.map(Math.PI);
  const b = ys.map(-Math.PI);
  return `<rect x="${px(Math.min(l, r))}" y="${px(Math.min(t, b))}" width="${px(Math.abs(r - l))}" height="${px(Math.abs(b - t))}" fill="none" stroke="#444" stroke-width="1.2" stroke-dasharray="6 4"/>`;
}
