/**
 * The report's pictures as pure functions from typed data to SVG: latent scatter plots,
 * heatmaps of scalar fields over a latent box, training curves. Each function takes one or more
 * panels; panels of one call share their axes and colour scale ("before and after" comparisons),
 * and one colour bar or legend serves them all.
 *
 * Conventions: latent codes are n × dim row-major (first two coordinates plotted); grids are
 * nx × ny with values[j·nx + i] at the centre of cell (i, j) of the box [x0, x1] × [y0, y1].
 */
import { Rng } from "../util/random.js";
import {
  categoricalColours,
  divergingScale,
  quantileSorted,
  robustRange,
  robustSymmetric,
  sequentialScale,
  sortedFinite,
  type ContinuousScale,
  type Transform,
} from "./color.js";
import { clipDef, figureTitle, fitBox, gridLayout, panelTitle, type Plot } from "./layout.js";
import { TORUS_COPIES, TORUS_VIEW, indicatrixMarks, torusFrame, wrapToTorus, type MetricField } from "./marks.js";
import {
  COLOUR_BAR_WIDTH,
  axes,
  colourBar,
  formatValue,
  legend,
  legendWidth,
  linearAxis,
  pad,
  px,
  svgDocument,
  type AxisScale,
  type LegendItem,
  type Rect,
} from "./svg.js";

export type { Plot } from "./layout.js";
export type { MetricField } from "./marks.js";
export { curvesPlot, curveKeys, curveLabel, CURVE_BOOKKEEPING, type CurveRecord, type CurveRun, type CurvesOptions } from "./curves.js";

/** Per-point colouring of a scatter plot. */
export type ColourBy =
  | {
      kind: "categorical";
      /** What the classes are, e.g. "digit" or "cloud". */
      name: string;
      /** Class id per point (integers). */
      values: ArrayLike<number>;
      /** Display name of class v: labels[v] (array or record); default String(v). */
      labels?: readonly string[] | Readonly<Record<number, string>>;
    }
  | {
      kind: "continuous";
      /** Colour bar label, e.g. "t" (Swiss roll parameter). */
      name: string;
      values: ArrayLike<number>;
    };

export interface LatentPoints {
  /** n × dim latent codes, row-major; the first two coordinates are plotted. */
  z: ArrayLike<number>;
  /** Coordinates per point; default 2. */
  dim?: number;
  /** Absent: every point in one colour. */
  colour?: ColourBy;
}

export interface FieldGrid {
  /** values[j·nx + i] at the centre of cell (i, j): x = x0 + (i + ½)(x1 − x0)/nx, y likewise. */
  values: ArrayLike<number>;
  nx: number;
  ny: number;
  /** The box the grid covers (cell edges): [x0, x1, y0, y1]. */
  extent: readonly [number, number, number, number];
}

export interface ScatterPanel {
  title?: string;
  /** Second, smaller title line (e.g. "λ_curv = 0.1 · seed 0"). */
  subtitle?: string;
  points: LatentPoints;
  /** The latent space is the flat torus (−π, π]²: codes wrapped, the box dashed, copies faint. */
  torus?: boolean;
  /** g on a grid: its indicatrices are drawn over the codes. */
  indicatrix?: MetricField;
}

export interface HeatmapPanel {
  title?: string;
  subtitle?: string;
  grid: FieldGrid;
  /** Latent codes drawn as small dots over the field (at most `overlayMax` of them). */
  overlay?: LatentPoints;
  /** Overlay codes wrapped to (−π, π]² and the box drawn dashed. */
  torus?: boolean;
}

interface CommonOptions {
  /** Figure title above all panels. */
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Width of one panel's plot area in px; default 320. */
  panelSize?: number;
  /** Panels per row; default min(panels, 3). */
  columns?: number;
  /** One unit of z₁ as long as one unit of z₂ (default true): distortion stays visible. */
  equalAspect?: boolean;
  /** Shared axis limits; default: the union over panels. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
}

export interface ScatterOptions extends CommonOptions {
  /** Points per panel above which a seeded random subsample is drawn; default 20,000. */
  maxPoints?: number;
  /** Dot radius in px; default by point count. */
  pointRadius?: number;
  /** Continuous colouring: explicit domain; default robust quantiles over all panels. */
  colourDomain?: readonly [number, number];
  /** Continuous colouring: quantile q of the robust range [q, 1 − q]; default 0.005. */
  quantile?: number;
}

export interface HeatmapOptions extends CommonOptions {
  /** "diverging" (R: symmetric about `centre`, blue < 0 < red) or "sequential" (√det g: viridis). */
  scale?: "diverging" | "sequential";
  /** Colour bar label, e.g. "R" or "√det g". */
  label?: string;
  /**
   * "auto" (default): sequential scales use log10 when all values are positive and span > 2
   * decades; diverging scales use "symlog" when the panels' robust |value| ranges differ > 10×.
   */
  transform?: Transform | "auto";
  /** Robust range from quantiles [q, 1 − q] (diverging: quantile 1 − q of |v − centre|); default 0.02. */
  quantile?: number;
  colourDomain?: readonly [number, number];
  /** Diverging only; default 0. */
  centre?: number;
  /** Overlay points drawn per panel at most; default 3000. */
  overlayMax?: number;
  /** Each panel on its own grid's box instead of the union of all boxes (latent scales differ by run). */
  ownAxes?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Latent scatter

function pointCount(p: LatentPoints): number {
  const dim = p.dim ?? 2;
  if (!(dim >= 2)) throw new RangeError(`scatter: need at least 2 latent coordinates, got dim = ${dim}`);
  if (p.z.length % dim !== 0) throw new RangeError(`scatter: z has ${p.z.length} values, not a multiple of dim = ${dim}`);
  const n = p.z.length / dim;
  if (p.colour && p.colour.values.length !== n) {
    throw new RangeError(`scatter: ${p.colour.values.length} colour values for ${n} points`);
  }
  return n;
}

/** Seeded subsample (sorted indices are then shuffled, so that no class is always drawn on top). */
function drawOrder(n: number, max: number, seed = 1): Int32Array {
  const rng = new Rng(seed);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return n > max ? idx.subarray(0, max) : idx;
}

function* coords(p: LatentPoints, axis: 0 | 1): Generator<number> {
  const dim = p.dim ?? 2;
  for (let i = axis; i < p.z.length; i += dim) yield p.z[i]!;
}

/**
 * Axis domain for latent coordinates: the full range unless a few outliers stretch it more than
 * 1.5× beyond the central 99.8 % (then the central range, with a note about the points left out).
 */
function latentDomain(values: number[]): { domain: [number, number]; robust: boolean } {
  const sorted = sortedFinite(values);
  if (sorted.length === 0) return { domain: [-1, 1], robust: false };
  const full: [number, number] = [sorted[0]!, sorted[sorted.length - 1]!];
  const lo = quantileSorted(sorted, 0.001);
  const hi = quantileSorted(sorted, 0.999);
  if (full[1] - full[0] > 1.5 * (hi - lo) && hi > lo) {
    const m = (hi - lo) * 0.25;
    return { domain: [lo - m, hi + m], robust: true };
  }
  return { domain: full, robust: false };
}

interface ClassInfo {
  ids: number[];
  colourOf: Map<number, string>;
  items: LegendItem[];
}

function classInfo(panels: readonly ScatterPanel[]): ClassInfo {
  const ids = new Set<number>();
  let labels: readonly string[] | Readonly<Record<number, string>> | undefined;
  for (const p of panels) {
    const c = p.points.colour;
    if (c?.kind !== "categorical") continue;
    for (let i = 0; i < c.values.length; i++) ids.add(c.values[i]!);
    labels ??= c.labels;
  }
  const sorted = [...ids].sort((a, b) => a - b);
  const colours = categoricalColours(sorted.length);
  const colourOf = new Map<number, string>();
  const items: LegendItem[] = [];
  sorted.forEach((id, k) => {
    colourOf.set(id, colours[k]!);
    const name = labels ? (labels as Readonly<Record<number, string>>)[id] : undefined;
    items.push({ label: name ?? String(id), colour: colours[k]! });
  });
  return { ids: sorted, colourOf, items };
}

/** Shared axis domains of scatter panels: the torus view, or the codes' range (robust to outliers). */
function scatterDomains(
  panels: readonly ScatterPanel[],
  o: ScatterOptions,
  notes: string[],
): { xd: [number, number]; yd: [number, number] } {
  if (panels.some((p) => p.torus)) return { xd: [...TORUS_VIEW], yd: [...TORUS_VIEW] };
  if (o.xDomain && o.yDomain) return { xd: [...o.xDomain], yd: [...o.yDomain] };
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of panels) {
    for (const v of coords(p.points, 0)) xs.push(v);
    for (const v of coords(p.points, 1)) ys.push(v);
  }
  const rx = latentDomain(xs);
  const ry = latentDomain(ys);
  if ((rx.robust && !o.xDomain) || (ry.robust && !o.yDomain)) {
    notes.push("A few outlying codes lie outside the plotted window (axes show the central 99.8 % of codes, widened).");
  }
  return { xd: o.xDomain ? [...o.xDomain] : pad(rx.domain, 0.04), yd: o.yDomain ? [...o.yDomain] : pad(ry.domain, 0.04) };
}

interface Colouring {
  colourOf: (panel: number, i: number) => string;
  sideW: number;
  sideDraw?: (r: Rect) => string;
}

/** The colouring all panels share: one colour, a legend of classes, or a continuous colour bar. */
function scatterColouring(panels: readonly ScatterPanel[], o: ScatterOptions, notes: string[]): Colouring {
  const colourKinds = new Set(panels.map((p) => p.points.colour?.kind ?? "none"));
  if (colourKinds.size > 1) throw new RangeError(`scatterPanels: panels mix colourings (${[...colourKinds].join(", ")})`);
  const kind = [...colourKinds][0]!;
  if (kind === "categorical") {
    const info = classInfo(panels);
    const first = panels[0]!.points.colour!;
    return {
      colourOf: (k, i) => info.colourOf.get(panels[k]!.points.colour!.values[i]!) ?? "#888",
      sideW: legendWidth(info.items, first.name),
      sideDraw: (r) => legend(info.items, r.x, r.y, first.name),
    };
  }
  if (kind !== "continuous") return { colourOf: () => "#3b6ea8", sideW: 0 };
  const arrays = panels.map((p) => p.points.colour!.values);
  const rr = robustRange(arrays, o.quantile ?? 0.005);
  // The full range unless a few outliers stretch it more than 1.5× beyond the robust range.
  const full: [number, number] = [rr.min, rr.max];
  const auto: [number, number] = Number.isNaN(rr.domain[0])
    ? [0, 1]
    : rr.max - rr.min > 1.5 * (rr.domain[1] - rr.domain[0])
      ? rr.domain
      : full;
  const domain: [number, number] = o.colourDomain ? [...o.colourDomain] : auto;
  const scale = sequentialScale(domain);
  const clippedLow = rr.min < domain[0];
  const clippedHigh = rr.max > domain[1];
  const name = panels[0]!.points.colour!.name;
  if (clippedLow || clippedHigh) notes.push(`Colour scale for ${name} clipped to [${formatValue(domain[0])}, ${formatValue(domain[1])}].`);
  return {
    colourOf: (k, i) => scale.colour(panels[k]!.points.colour!.values[i]!),
    sideW: COLOUR_BAR_WIDTH,
    sideDraw: (r) => colourBar(scale, r, { label: name, clippedLow, clippedHigh, missing: rr.missing > 0 }),
  };
}

/** The dots of one panel; on a torus wrapped into the box, plus faint copies across its edges. */
function scatterDots(
  p: ScatterPanel,
  order: Int32Array,
  r: number,
  xs: AxisScale,
  ys: AxisScale,
  colour: (i: number) => string,
): { main: string; copies: string } {
  const dim = p.points.dim ?? 2;
  const dots: string[] = [];
  const copies: string[] = [];
  const [vx0, vx1] = xs.domain;
  const [vy0, vy1] = ys.domain;
  for (const i of order) {
    let zx = p.points.z[i * dim]!;
    let zy = p.points.z[i * dim + 1]!;
    if (!Number.isFinite(zx) || !Number.isFinite(zy)) continue;
    if (p.torus) {
      zx = wrapToTorus(zx);
      zy = wrapToTorus(zy);
      for (const [ox, oy] of TORUS_COPIES) {
        const cx = zx + ox;
        const cy = zy + oy;
        if (cx >= vx0 && cx <= vx1 && cy >= vy0 && cy <= vy1)
          copies.push(`<circle cx="${px(xs.map(cx))}" cy="${px(ys.map(cy))}" r="${r}" fill="${colour(i)}"/>`);
      }
    }
    dots.push(`<circle cx="${px(xs.map(zx))}" cy="${px(ys.map(zy))}" r="${r}" fill="${colour(i)}"/>`);
  }
  return { main: dots.join(""), copies: copies.join("") };
}

/**
 * Latent scatter plot of one or more panels sharing axes and colour scale; a colour bar
 * (continuous colouring) or legend (categorical) on the right. Optional per panel: indicatrices of
 * g, and the flat-torus view.
 */
export function scatterPanels(panels: readonly ScatterPanel[], o: ScatterOptions = {}): Plot {
  if (panels.length === 0) throw new RangeError("scatterPanels: no panels");
  const notes: string[] = [];
  const counts = panels.map((p) => pointCount(p.points));
  const maxPoints = o.maxPoints ?? 20000;
  const { xd, yd } = scatterDomains(panels, o, notes);
  const box = fitBox(xd, yd, o.panelSize ?? 320, o.equalAspect ?? true);
  const col = scatterColouring(panels, o, notes);
  const layout = gridLayout(panels.length, box.w, box.h, o.columns ?? Math.min(panels.length, 3), col.sideW, !!o.title);
  const parts: string[] = [figureTitle(layout, o.title)];
  const scales: string[] = [];
  panels.forEach((p, k) => {
    const area = layout.areas[k]!;
    const xs = linearAxis(box.xd, [area.x, area.x + area.w]);
    const ys = linearAxis(box.yd, [area.y + area.h, area.y]);
    const ax = axes(area, xs, ys, { xLabel: o.xLabel ?? "z₁", yLabel: o.yLabel ?? "z₂" });
    const n = counts[k]!;
    const order = drawOrder(n, maxPoints);
    if (n > maxPoints) notes.push(`${p.title ?? `Panel ${k + 1}`}: a random ${maxPoints} of ${n} codes drawn.`);
    const r = o.pointRadius ?? (order.length > 10000 ? 1.25 : order.length > 3000 ? 1.7 : order.length > 500 ? 2.3 : 3);
    const opacity = order.length > 3000 ? 0.8 : 0.9;
    const dots = scatterDots(p, order, r, xs, ys, (i) => col.colourOf(k, i));
    const marks = p.indicatrix ? indicatrixMarks(p.indicatrix, xs, ys) : null;
    if (marks && marks.drawn > 0) scales.push(`${p.title ?? `panel ${k + 1}`} ×${formatValue(marks.scale, 3)}`);
    const clipId = `clip-s${k}`;
    parts.push(
      `<defs>${clipDef(clipId, area)}</defs>`,
      ax.under,
      `<g clip-path="url(#${clipId})"><g fill-opacity="0.22">${dots.copies}</g><g fill-opacity="${opacity}">${dots.main}</g>${marks?.svg ?? ""}${p.torus ? torusFrame(xs, ys) : ""}</g>`,
      ax.over,
      panelTitle(area, p.title, p.subtitle),
    );
  });
  if (panels.some((p) => p.torus))
    notes.push(
      "Torus latent: codes wrapped into the dashed box (−π, π]², whose opposite edges are the same; faint dots are copies across the edges.",
    );
  if (scales.length > 0)
    notes.push(
      `Ellipses: indicatrices {v : vᵀg v = 1} of the pullback metric on a grid (a circle: g conformal there; a small ellipse: strong stretching), scaled per panel to fit the grid (${scales.join(", ")}).`,
    );
  if (col.sideDraw) parts.push(col.sideDraw(layout.side));
  return {
    svg: svgDocument(layout.width, layout.height, parts.join(""), o.title),
    width: Math.ceil(layout.width),
    height: Math.ceil(layout.height),
    notes,
  };
}

/** A single latent scatter panel; see `scatterPanels`. */
export function scatterPlot(points: LatentPoints, o: ScatterOptions & { panelTitle?: string } = {}): Plot {
  const panel: ScatterPanel = o.panelTitle === undefined ? { points } : { points, title: o.panelTitle };
  return scatterPanels([panel], o);
}

// ---------------------------------------------------------------------------------------------
// Heatmaps

function checkGrid(g: FieldGrid): void {
  if (!(Number.isInteger(g.nx) && Number.isInteger(g.ny) && g.nx > 0 && g.ny > 0)) {
    throw new RangeError(`heatmap: bad grid size ${g.nx} × ${g.ny}`);
  }
  if (g.values.length !== g.nx * g.ny) throw new RangeError(`heatmap: ${g.values.length} values for a ${g.nx} × ${g.ny} grid`);
  const [x0, x1, y0, y1] = g.extent;
  if (!(x1 > x0 && y1 > y0)) throw new RangeError(`heatmap: empty extent [${g.extent.join(", ")}]`);
}

type HeatmapScale = { scale: ContinuousScale; clippedLow: boolean; clippedHigh: boolean; missing: number; note: string };

/**
 * Diverging scale shared by panels: symmetric about the centre, half-width the pooled robust |value|.
 * When the panels' own robust half-widths differ more than 10× (a flattened run beside a curved
 * one), a symmetric-log scale with c = (smallest half-width)/10 keeps the smaller panel visible.
 */
function divergingHeatmapScale(
  arrays: readonly ArrayLike<number>[],
  o: Pick<HeatmapOptions, "transform" | "colourDomain" | "centre">,
  q: number,
  pct: string,
): HeatmapScale {
  const centre = o.centre ?? 0;
  const rr = robustSymmetric(arrays, q, centre);
  const domain: [number, number] = o.colourDomain ? [...o.colourDomain] : Number.isNaN(rr.domain[0]) ? [centre - 1, centre + 1] : rr.domain;
  const m = Math.max(Math.abs(domain[0] - centre), Math.abs(domain[1] - centre));
  const widths = arrays.map((a) => robustSymmetric([a], q, centre).domain[1] - centre).filter((w) => Number.isFinite(w) && w > 0);
  const smallest = widths.length > 0 ? Math.min(...widths) : m;
  const ratio = m / smallest;
  const wantSymlog = o.transform === "symlog" || ((o.transform ?? "auto") === "auto" && !o.colourDomain && ratio > 10);
  const c = wantSymlog ? Math.min(smallest, m) / 10 : undefined;
  const scale = divergingScale(domain, centre, c);
  const [lo, hi] = scale.domain;
  const of = centre === 0 ? "|value|" : `|value − ${formatValue(centre)}|`;
  let note: string;
  if (o.colourDomain) note = `Diverging colour scale on [${formatValue(lo)}, ${formatValue(hi)}].`;
  else if (scale.transform === "symlog")
    note =
      `Diverging symmetric-log colour scale about ${formatValue(centre)} (linear within ±${formatValue(scale.linthresh!)}, logarithmic beyond), half-width ${formatValue(hi - centre)} = ${pct}th percentile of ${of} over all panels` +
      (widths.length > 1
        ? `: the panels' own ${pct}th percentiles differ ×${formatValue(ratio, 3)}, so on a linear scale the smaller would be blank.`
        : ".");
  else
    note = `Diverging colour scale symmetric about ${formatValue(centre)}, half-width ${formatValue(hi - centre)} = ${pct}th percentile of ${of} (data range [${formatValue(rr.min)}, ${formatValue(rr.max)}]).`;
  return { scale, clippedLow: rr.min < lo, clippedHigh: rr.max > hi, missing: rr.missing, note };
}

/** The colour scale a set of heatmap panels shares, with what the colour bar must mark. */
export function heatmapScale(
  grids: readonly FieldGrid[],
  o: Pick<HeatmapOptions, "scale" | "transform" | "quantile" | "colourDomain" | "centre"> = {},
): HeatmapScale {
  const arrays = grids.map((g) => g.values);
  const q = o.quantile ?? 0.02;
  const pct = `${Math.round((1 - q) * 1000) / 10}`;
  if ((o.scale ?? "sequential") === "diverging") return divergingHeatmapScale(arrays, o, q, pct);
  const all = robustRange(arrays, q);
  let transform: Transform = o.transform === "log" ? "log" : "linear";
  if ((o.transform ?? "auto") === "auto" && all.min >= 0) {
    // Exact zeros (grey on a log scale) must not force a linear scale on which a small run is blank.
    const positive = robustRange(arrays, q, true);
    if (positive.domain[1] / positive.domain[0] > 100) transform = "log";
  }
  const rr = transform === "log" ? robustRange(arrays, q, true) : all;
  let domain: [number, number] = o.colourDomain ? [...o.colourDomain] : Number.isNaN(rr.domain[0]) ? [0, 1] : rr.domain;
  if (transform === "log" && !(domain[0] > 0)) transform = "linear";
  if (!(domain[1] > domain[0])) domain = transform === "log" ? [domain[0] / 2, domain[0] * 2] : pad(domain, 0.5);
  const scale = sequentialScale(domain, transform);
  return {
    scale,
    clippedLow: all.min < domain[0],
    clippedHigh: all.max > domain[1],
    missing: transform === "log" ? rr.missing : all.missing,
    note: o.colourDomain
      ? `Sequential colour scale on [${formatValue(domain[0])}, ${formatValue(domain[1])}]${transform === "log" ? " (log)" : ""}.`
      : `Sequential colour scale${transform === "log" ? " (log₁₀, chosen as the values span more than two decades)" : ""} on the ${Math.round(q * 1000) / 10}–${pct}th percentiles [${formatValue(domain[0])}, ${formatValue(domain[1])}] (data range [${formatValue(all.min)}, ${formatValue(all.max)}]).`,
  };
}

/** Heatmap rectangles of a grid, merged along rows where neighbours share a colour. */
function heatmapCells(g: FieldGrid, xs: AxisScale, ys: AxisScale, colour: (v: number) => string): string {
  const [x0, x1, y0, y1] = g.extent;
  const dx = (x1 - x0) / g.nx;
  const dy = (y1 - y0) / g.ny;
  const out: string[] = [];
  for (let j = 0; j < g.ny; j++) {
    const top = ys.map(y0 + (j + 1) * dy);
    const bottom = ys.map(y0 + j * dy);
    // Overlap the next row (drawn later, above) by 0.5 px to avoid anti-aliasing seams.
    const h = bottom - top + (j > 0 ? 0.5 : 0);
    let i = 0;
    while (i < g.nx) {
      const c = colour(g.values[j * g.nx + i]!);
      let k = i + 1;
      while (k < g.nx && colour(g.values[j * g.nx + k]!) === c) k++;
      const left = xs.map(x0 + i * dx);
      const right = xs.map(x0 + k * dx) + (k < g.nx ? 0.5 : 0);
      out.push(`<rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(h)}" fill="${c}"/>`);
      i = k;
    }
  }
  return out.join("");
}

/** Overlay dots of codes on a heatmap panel (wrapped into the box on a torus). */
function overlayDots(p: HeatmapPanel, xs: AxisScale, ys: AxisScale, max: number): string {
  if (!p.overlay) return "";
  const n = pointCount(p.overlay);
  const dim = p.overlay.dim ?? 2;
  const dots: string[] = [];
  for (const i of drawOrder(n, max, 2)) {
    let zx = p.overlay.z[i * dim]!;
    let zy = p.overlay.z[i * dim + 1]!;
    if (!Number.isFinite(zx) || !Number.isFinite(zy)) continue;
    if (p.torus) [zx, zy] = [wrapToTorus(zx), wrapToTorus(zy)];
    dots.push(`<circle cx="${px(xs.map(zx))}" cy="${px(ys.map(zy))}" r="1.1"/>`);
  }
  return `<g fill="#111" fill-opacity="0.45">${dots.join("")}</g>`;
}

/** Axis domains per panel: the union of the grids' boxes, or (ownAxes) each grid's own box, all at one panel size. */
function heatmapBoxes(panels: readonly HeatmapPanel[], o: HeatmapOptions): ReturnType<typeof fitBox>[] {
  const width = o.panelSize ?? 320;
  const equal = o.equalAspect ?? true;
  if (o.ownAxes && !o.xDomain && !o.yDomain) {
    const first = fitBox(
      [panels[0]!.grid.extent[0], panels[0]!.grid.extent[1]],
      [panels[0]!.grid.extent[2], panels[0]!.grid.extent[3]],
      width,
      equal,
    );
    return panels.map((p) => fitBox([p.grid.extent[0], p.grid.extent[1]], [p.grid.extent[2], p.grid.extent[3]], width, equal, first.h));
  }
  const xd: [number, number] = o.xDomain
    ? [...o.xDomain]
    : [Math.min(...panels.map((p) => p.grid.extent[0])), Math.max(...panels.map((p) => p.grid.extent[1]))];
  const yd: [number, number] = o.yDomain
    ? [...o.yDomain]
    : [Math.min(...panels.map((p) => p.grid.extent[2])), Math.max(...panels.map((p) => p.grid.extent[3]))];
  const box = fitBox(xd, yd, width, equal);
  return panels.map(() => box);
}

/**
 * Heatmaps of a scalar field over latent boxes, one panel per grid, sharing one colour scale
 * (robust, from quantiles over all panels; symmetric-log where the panels' ranges differ a lot) and
 * the axes (or, with `ownAxes`, each on its own box); optional latent codes overlaid as dots.
 */
export function heatmapPanels(panels: readonly HeatmapPanel[], o: HeatmapOptions = {}): Plot {
  if (panels.length === 0) throw new RangeError("heatmapPanels: no panels");
  panels.forEach((p) => checkGrid(p.grid));
  const notes: string[] = [];
  const boxes = heatmapBoxes(panels, o);
  const hs = heatmapScale(
    panels.map((p) => p.grid),
    o,
  );
  notes.push(hs.note);
  if (hs.missing > 0) {
    const what = hs.scale.transform === "log" ? "non-finite or non-positive" : "non-finite";
    notes.push(`${hs.missing} ${what} value${hs.missing === 1 ? "" : "s"} drawn grey.`);
  }
  const layout = gridLayout(panels.length, boxes[0]!.w, boxes[0]!.h, o.columns ?? Math.min(panels.length, 3), COLOUR_BAR_WIDTH, !!o.title);
  const parts: string[] = [figureTitle(layout, o.title)];
  panels.forEach((p, k) => {
    const area = layout.areas[k]!;
    const xs = linearAxis(boxes[k]!.xd, [area.x, area.x + area.w]);
    const ys = linearAxis(boxes[k]!.yd, [area.y + area.h, area.y]);
    const ax = axes(area, xs, ys, { xLabel: o.xLabel ?? "z₁", yLabel: o.yLabel ?? "z₂", grid: false });
    const clipId = `clip-h${k}`;
    parts.push(
      `<defs>${clipDef(clipId, area)}</defs>`,
      `<rect x="${px(area.x)}" y="${px(area.y)}" width="${px(area.w)}" height="${px(area.h)}" fill="#f4f4f4"/>`,
      `<g clip-path="url(#${clipId})">${heatmapCells(p.grid, xs, ys, hs.scale.colour)}${overlayDots(p, xs, ys, o.overlayMax ?? 3000)}</g>`,
      ax.under,
      ax.over,
      panelTitle(area, p.title, p.subtitle),
    );
  });
  if (panels.some((p) => p.overlay)) notes.push("Dots: encoded data points (a random subsample).");
  if (o.ownAxes && panels.length > 1) notes.push("Each panel shows its own run's latent box (the axes differ).");
  parts.push(
    colourBar(hs.scale, layout.side, {
      ...(o.label === undefined ? {} : { label: o.label }),
      clippedLow: hs.clippedLow,
      clippedHigh: hs.clippedHigh,
      missing: hs.missing > 0,
    }),
  );
  return {
    svg: svgDocument(layout.width, layout.height, parts.join(""), o.title),
    width: Math.ceil(layout.width),
    height: Math.ceil(layout.height),
    notes,
  };
}

/** A single heatmap panel; see `heatmapPanels`. */
export function heatmapPlot(grid: FieldGrid, o: HeatmapOptions & { panelTitle?: string; overlay?: LatentPoints } = {}): Plot {
  const panel: HeatmapPanel = { grid };
  if (o.panelTitle !== undefined) panel.title = o.panelTitle;
  if (o.overlay !== undefined) panel.overlay = o.overlay;
  return heatmapPanels([panel], o);
}
