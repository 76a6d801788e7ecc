/**
 * The report's pictures as pure functions from typed data to SVG: latent scatter plots,
 * heatmaps of scalar fields over a latent box, training curves. Each function takes one or more
 * panels; panels of one call share their axes and colour scale ("before and after" comparisons),
 * and one colour bar or legend serves them all.
 *
 * Conventions: latent codes are n × dim row-major (first two coordinates plotted); grids are
 * nx × ny with values[j·nx + i] at the centre of cell (i, j) of the box [x0, x1] × [y0, y1].
 */
import { nice } from "d3-array";
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
import {
  AXIS_COLOUR,
  COLOUR_BAR_WIDTH,
  TEXT_COLOUR,
  axes,
  colourBar,
  formatValue,
  legend,
  legendHeight,
  legendWidth,
  linearAxis,
  logAxis,
  pad,
  padLog,
  px,
  svgDocument,
  text,
  type AxisScale,
  type LegendItem,
  type Rect,
} from "./svg.js";

/** What every plot function returns. */
export interface Plot {
  /** A complete, standalone SVG document. */
  svg: string;
  width: number;
  height: number;
  /** Facts worth a caption: clipping, subsampling, scales chosen automatically. */
  notes: string[];
}

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
  points: LatentPoints;
}

export interface HeatmapPanel {
  title?: string;
  grid: FieldGrid;
  /** Latent codes drawn as small dots over the field (at most `overlayMax` of them). */
  overlay?: LatentPoints;
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
  /** Sequential only: "auto" (default) is log10 when all values are positive and span > 2 decades. */
  transform?: Transform | "auto";
  /** Robust range from quantiles [q, 1 − q] (diverging: quantile 1 − q of |v − centre|); default 0.02. */
  quantile?: number;
  colourDomain?: readonly [number, number];
  /** Diverging only; default 0. */
  centre?: number;
  /** Overlay points drawn per panel at most; default 3000. */
  overlayMax?: number;
}

// ---------------------------------------------------------------------------------------------
// Layout

const MARGIN = { left: 62, right: 16, top: 30, bottom: 50 };
const FIGURE_TITLE_H = 30;
const SIDE_GAP = 14;

interface Layout {
  width: number;
  height: number;
  areas: Rect[];
  side: Rect;
  titleY: number;
}

/**
 * Panels of equal plot-area size (w × h) in a grid of `columns`, plus a side column of `sideW`
 * px (colour bar or legend) spanning the first row.
 */
function gridLayout(n: number, w: number, h: number, columns: number, sideW: number, hasTitle: boolean): Layout {
  const cols = Math.max(1, Math.min(columns, n));
  const rows = Math.ceil(n / cols);
  const cellW = MARGIN.left + w + MARGIN.right;
  const cellH = MARGIN.top + h + MARGIN.bottom;
  const top = hasTitle ? FIGURE_TITLE_H : 6;
  const areas: Rect[] = [];
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / cols);
    const c = k % cols;
    areas.push({ x: c * cellW + MARGIN.left, y: top + r * cellH + MARGIN.top, w, h });
  }
  const sideX = cols * cellW + (sideW > 0 ? SIDE_GAP - MARGIN.right + 4 : 0);
  return {
    width: sideX + (sideW > 0 ? sideW + 10 : 0),
    height: top + rows * cellH,
    areas,
    side: { x: sideX, y: top + MARGIN.top, w: sideW, h },
    titleY: 20,
  };
}

/**
 * Plot-area size and axis domains for a latent box: with equal aspect, the panel's height follows
 * the box's aspect ratio within [0.55, 1.6] × width, and the shorter side of the box is widened
 * beyond that.
 */
function fitBox(
  xd: readonly [number, number],
  yd: readonly [number, number],
  width: number,
  equal: boolean,
): { w: number; h: number; xd: [number, number]; yd: [number, number] } {
  let [x0, x1] = xd;
  let [y0, y1] = yd;
  if (!equal) return { w: width, h: Math.round(width * 0.8), xd: [x0, x1], yd: [y0, y1] };
  const xs = x1 - x0;
  const ys = y1 - y0;
  const ratio = Math.min(1.6, Math.max(0.55, ys / xs));
  const h = Math.round(width * ratio);
  // Make units equal: px per unit on x = width / xs'; on y = h / ys'.
  const want = h / width; // ys' / xs'
  if (ys / xs < want) {
    const extra = (xs * want - ys) / 2;
    y0 -= extra;
    y1 += extra;
  } else {
    const extra = (ys / want - xs) / 2;
    x0 -= extra;
    x1 += extra;
  }
  return { w: width, h, xd: [x0, x1], yd: [y0, y1] };
}

function clipDef(id: string, r: Rect): string {
  return `<clipPath id="${id}"><rect x="${px(r.x)}" y="${px(r.y)}" width="${px(r.w)}" height="${px(r.h)}"/></clipPath>`;
}

function figureTitle(layout: Layout, title: string | undefined): string {
  return title ? text(layout.width / 2, layout.titleY, title, { size: 15, weight: "bold", anchor: "middle", fill: TEXT_COLOUR }) : "";
}

function panelTitle(area: Rect, title: string | undefined): string {
  return title ? text(area.x + area.w / 2, area.y - 10, title, { size: 13, weight: "bold", anchor: "middle", fill: TEXT_COLOUR }) : "";
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

function finiteExtent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
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

/**
 * Latent scatter plot of one or more panels sharing axes and colour scale; a colour bar
 * (continuous colouring) or legend (categorical) on the right.
 */
export function scatterPanels(panels: readonly ScatterPanel[], o: ScatterOptions = {}): Plot {
  if (panels.length === 0) throw new RangeError("scatterPanels: no panels");
  const notes: string[] = [];
  const counts = panels.map((p) => pointCount(p.points));
  const maxPoints = o.maxPoints ?? 20000;

  // Axes shared by all panels.
  let xd: [number, number];
  let yd: [number, number];
  if (o.xDomain && o.yDomain) {
    xd = [...o.xDomain];
    yd = [...o.yDomain];
  } else {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const p of panels) {
      for (const v of coords(p.points, 0)) xs.push(v);
      for (const v of coords(p.points, 1)) ys.push(v);
    }
    const rx = latentDomain(xs);
    const ry = latentDomain(ys);
    xd = o.xDomain ? [...o.xDomain] : pad(rx.domain, 0.04);
    yd = o.yDomain ? [...o.yDomain] : pad(ry.domain, 0.04);
    if ((rx.robust && !o.xDomain) || (ry.robust && !o.yDomain)) {
      notes.push("A few outlying codes lie outside the plotted window (axes show the central 99.8 % of codes, widened).");
    }
  }
  const box = fitBox(xd, yd, o.panelSize ?? 320, o.equalAspect ?? true);

  // Colouring shared by all panels.
  const colourKinds = new Set(panels.map((p) => p.points.colour?.kind ?? "none"));
  if (colourKinds.size > 1) throw new RangeError(`scatterPanels: panels mix colourings (${[...colourKinds].join(", ")})`);
  const kind = [...colourKinds][0]!;
  let colourOf: (panel: number, i: number) => string = () => "#3b6ea8";
  let side = "";
  let sideW = 0;
  let sideDraw: ((r: Rect) => string) | undefined;
  if (kind === "categorical") {
    const info = classInfo(panels);
    const first = panels[0]!.points.colour!;
    colourOf = (k, i) => info.colourOf.get(panels[k]!.points.colour!.values[i]!) ?? "#888";
    sideW = legendWidth(info.items, first.name);
    sideDraw = (r) => legend(info.items, r.x, r.y, first.name);
  } else if (kind === "continuous") {
    const arrays = panels.map((p) => p.points.colour!.values);
    const rr = robustRange(arrays, o.quantile ?? 0.005);
    // The full range unless a few outliers stretch it more than 1.5× beyond the robust range.
    const full: [number, number] = [rr.min, rr.max];
    const auto: [number, number] = Number.isNaN(rr.domain[0]) ? [0, 1] : rr.max - rr.min > 1.5 * (rr.domain[1] - rr.domain[0]) ? rr.domain : full;
    const domain: [number, number] = o.colourDomain ? [...o.colourDomain] : auto;
    const scale = sequentialScale(domain);
    const clippedLow = rr.min < domain[0];
    const clippedHigh = rr.max > domain[1];
    colourOf = (k, i) => scale.colour(panels[k]!.points.colour!.values[i]!);
    sideW = COLOUR_BAR_WIDTH;
    const name = panels[0]!.points.colour!.name;
    sideDraw = (r) => colourBar(scale, r, { label: name, clippedLow, clippedHigh, missing: rr.missing > 0 });
    if (clippedLow || clippedHigh) notes.push(`Colour scale for ${name} clipped to [${formatValue(domain[0])}, ${formatValue(domain[1])}].`);
  }

  const layout = gridLayout(panels.length, box.w, box.h, o.columns ?? Math.min(panels.length, 3), sideW, !!o.title);
  const parts: string[] = [figureTitle(layout, o.title)];
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
    const dim = p.points.dim ?? 2;
    const dots: string[] = [];
    for (const i of order) {
      const zx = p.points.z[i * dim]!;
      const zy = p.points.z[i * dim + 1]!;
      if (!Number.isFinite(zx) || !Number.isFinite(zy)) continue;
      dots.push(`<circle cx="${px(xs.map(zx))}" cy="${px(ys.map(zy))}" r="${r}" fill="${colourOf(k, i)}"/>`);
    }
    const clipId = `clip-s${k}`;
    parts.push(
      `<defs>${clipDef(clipId, area)}</defs>`,
      ax.under,
      `<g clip-path="url(#${clipId})" fill-opacity="${opacity}">${dots.join("")}</g>`,
      ax.over,
      panelTitle(area, p.title),
    );
  });
  if (sideDraw) side = sideDraw(layout.side);
  parts.push(side);
  return { svg: svgDocument(layout.width, layout.height, parts.join(""), o.title), width: Math.ceil(layout.width), height: Math.ceil(layout.height), notes };
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

/** The colour scale a set of heatmap panels shares, with what the colour bar must mark. */
export function heatmapScale(
  grids: readonly FieldGrid[],
  o: Pick<HeatmapOptions, "scale" | "transform" | "quantile" | "colourDomain" | "centre"> = {},
): { scale: ContinuousScale; clippedLow: boolean; clippedHigh: boolean; missing: number; note: string } {
  const arrays = grids.map((g) => g.values);
  const q = o.quantile ?? 0.02;
  const pct = `${Math.round((1 - q) * 1000) / 10}`;
  if ((o.scale ?? "sequential") === "diverging") {
    const centre = o.centre ?? 0;
    const rr = robustSymmetric(arrays, q, centre);
    const domain: [number, number] = o.colourDomain ? [...o.colourDomain] : Number.isNaN(rr.domain[0]) ? [centre - 1, centre + 1] : rr.domain;
    const scale = divergingScale(domain, centre);
    const [lo, hi] = scale.domain;
    return {
      scale,
      clippedLow: rr.min < lo,
      clippedHigh: rr.max > hi,
      missing: rr.missing,
      note: o.colourDomain
        ? `Diverging colour scale on [${formatValue(lo)}, ${formatValue(hi)}].`
        : `Diverging colour scale symmetric about ${formatValue(centre)}, half-width ${formatValue(hi - centre)} = ${pct}th percentile of ${centre === 0 ? "|value|" : `|value − ${formatValue(centre)}|`} (data range [${formatValue(rr.min)}, ${formatValue(rr.max)}]).`,
    };
  }
  const all = robustRange(arrays, q);
  let transform: Transform = o.transform === "log" ? "log" : "linear";
  if ((o.transform ?? "auto") === "auto" && all.min > 0 && all.domain[1] / all.domain[0] > 100) transform = "log";
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

/**
 * Heatmaps of a scalar field over latent boxes, one panel per grid, sharing axes and colour
 * scale (robust, from quantiles over all panels); optional latent codes overlaid as dots.
 */
export function heatmapPanels(panels: readonly HeatmapPanel[], o: HeatmapOptions = {}): Plot {
  if (panels.length === 0) throw new RangeError("heatmapPanels: no panels");
  panels.forEach((p) => checkGrid(p.grid));
  const notes: string[] = [];
  const xd: [number, number] = o.xDomain ? [...o.xDomain] : [Math.min(...panels.map((p) => p.grid.extent[0])), Math.max(...panels.map((p) => p.grid.extent[1]))];
  const yd: [number, number] = o.yDomain ? [...o.yDomain] : [Math.min(...panels.map((p) => p.grid.extent[2])), Math.max(...panels.map((p) => p.grid.extent[3]))];
  const box = fitBox(xd, yd, o.panelSize ?? 320, o.equalAspect ?? true);
  const hs = heatmapScale(
    panels.map((p) => p.grid),
    o,
  );
  notes.push(hs.note);
  if (hs.missing > 0) {
    const what = hs.scale.transform === "log" ? "non-finite or non-positive" : "non-finite";
    notes.push(`${hs.missing} ${what} value${hs.missing === 1 ? "" : "s"} drawn grey.`);
  }
  const layout = gridLayout(panels.length, box.w, box.h, o.columns ?? Math.min(panels.length, 3), COLOUR_BAR_WIDTH, !!o.title);
  const parts: string[] = [figureTitle(layout, o.title)];
  const overlayMax = o.overlayMax ?? 3000;
  panels.forEach((p, k) => {
    const area = layout.areas[k]!;
    const xs = linearAxis(box.xd, [area.x, area.x + area.w]);
    const ys = linearAxis(box.yd, [area.y + area.h, area.y]);
    const ax = axes(area, xs, ys, { xLabel: o.xLabel ?? "z₁", yLabel: o.yLabel ?? "z₂", grid: false });
    const clipId = `clip-h${k}`;
    let overlay = "";
    if (p.overlay) {
      const n = pointCount(p.overlay);
      const dim = p.overlay.dim ?? 2;
      const dots: string[] = [];
      for (const i of drawOrder(n, overlayMax, 2)) {
        const zx = p.overlay.z[i * dim]!;
        const zy = p.overlay.z[i * dim + 1]!;
        if (Number.isFinite(zx) && Number.isFinite(zy)) dots.push(`<circle cx="${px(xs.map(zx))}" cy="${px(ys.map(zy))}" r="1.1"/>`);
      }
      overlay = `<g fill="#111" fill-opacity="0.45">${dots.join("")}</g>`;
    }
    parts.push(
      `<defs>${clipDef(clipId, area)}</defs>`,
      `<rect x="${px(area.x)}" y="${px(area.y)}" width="${px(area.w)}" height="${px(area.h)}" fill="#f4f4f4"/>`,
      `<g clip-path="url(#${clipId})">${heatmapCells(p.grid, xs, ys, hs.scale.colour)}${overlay}</g>`,
      ax.under,
      ax.over,
      panelTitle(area, p.title),
    );
  });
  if (panels.some((p) => p.overlay)) notes.push("Dots: encoded data points (a random subsample).");
  parts.push(
    colourBar(hs.scale, layout.side, {
      ...(o.label === undefined ? {} : { label: o.label }),
      clippedLow: hs.clippedLow,
      clippedHigh: hs.clippedHigh,
      missing: hs.missing > 0,
    }),
  );
  return { svg: svgDocument(layout.width, layout.height, parts.join(""), o.title), width: Math.ceil(layout.width), height: Math.ceil(layout.height), notes };
}

/** A single heatmap panel; see `heatmapPanels`. */
export function heatmapPlot(grid: FieldGrid, o: HeatmapOptions & { panelTitle?: string; overlay?: LatentPoints } = {}): Plot {
  const panel: HeatmapPanel = { grid };
  if (o.panelTitle !== undefined) panel.title = o.panelTitle;
  if (o.overlay !== undefined) panel.overlay = o.overlay;
  return heatmapPanels([panel], o);
}

// ---------------------------------------------------------------------------------------------
// Training curves

/** One line of metrics.jsonl: `{step, epoch, loss, recon, curv, …}`; non-numeric fields are ignored. */
export interface CurveRecord {
  step?: number;
  epoch?: number;
  [key: string]: unknown;
}

export interface CurveRun {
  name: string;
  records: readonly CurveRecord[];
}

export interface CurvesOptions {
  title?: string;
  /** Series to draw; default every numeric field except the x field and bookkeeping fields. */
  keys?: readonly string[];
  /** x field; default "step" when records have it, else "epoch", else the record index. */
  x?: string;
  /** "auto" (default): log10 where every value of a panel is positive. */
  yScale?: "auto" | "log" | "linear";
  /** Points per series above which records are averaged in buckets; default 1500. */
  maxPoints?: number;
  panelWidth?: number;
  panelHeight?: number;
  columns?: number;
}

/** Fields that are never loss parts. */
export const CURVE_BOOKKEEPING = new Set(["step", "epoch", "time", "t", "wall", "wall_s", "elapsed", "elapsed_s", "seconds", "timestamp", "lr", "learning_rate", "batch", "iter", "iteration"]);

/** Numeric keys of the records, in first-seen order, minus the x field and bookkeeping fields. */
export function curveKeys(records: readonly CurveRecord[], x = "step"): string[] {
  const seen = new Set<string>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (typeof v === "number" && k !== x && !CURVE_BOOKKEEPING.has(k)) seen.add(k);
  }
  return [...seen];
}

interface Series {
  label: string;
  colour: string;
  dash: boolean;
  xs: number[];
  ys: number[];
}

function xField(runs: readonly CurveRun[], x: string | undefined): string | undefined {
  if (x) return x;
  const has = (k: string): boolean => runs.some((r) => r.records.some((rec) => typeof rec[k] === "number"));
  return has("step") ? "step" : has("epoch") ? "epoch" : undefined;
}

/** (x, y) of one key, sorted by x, bucket-averaged down to `max` points. */
function extractSeries(records: readonly CurveRecord[], key: string, xKey: string | undefined, max: number): { xs: number[]; ys: number[] } {
  const pts: [number, number][] = [];
  records.forEach((r, i) => {
    const y = r[key];
    const x = xKey === undefined ? i : r[xKey];
    if (typeof y === "number" && Number.isFinite(y) && typeof x === "number" && Number.isFinite(x)) pts.push([x, y]);
  });
  pts.sort((a, b) => a[0] - b[0]);
  if (pts.length <= max) return { xs: pts.map((p) => p[0]), ys: pts.map((p) => p[1]) };
  const xs: number[] = [];
  const ys: number[] = [];
  const per = pts.length / max;
  for (let b = 0; b < max; b++) {
    const lo = Math.floor(b * per);
    const hi = Math.max(lo + 1, Math.floor((b + 1) * per));
    let sx = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sx += pts[i]![0];
      sy += pts[i]![1];
    }
    xs.push(sx / (hi - lo));
    ys.push(sy / (hi - lo));
  }
  return { xs, ys };
}

/** [lo, hi] extended to round tick values (a step axis from 1 to 2999 becomes 0 … 3000). */
function niceDomain(lo: number, hi: number): [number, number] {
  const [a, b] = nice(lo, hi, 6);
  // Only when that adds little: do not turn 1000 … 1100 into 0 … 2000.
  return b - a <= 1.25 * (hi - lo) ? [a, b] : [lo, hi];
}

interface CurvePanel {
  title?: string;
  series: Series[];
  log: boolean;
}

function linePath(s: Series, xs: AxisScale, ys: AxisScale): string {
  const segs: string[] = [];
  let pen = false;
  for (let i = 0; i < s.xs.length; i++) {
    const y = s.ys[i]!;
    if (ys.log && !(y > 0)) {
      pen = false;
      continue;
    }
    segs.push(`${pen ? "L" : "M"}${px(xs.map(s.xs[i]!))} ${px(ys.map(y))}`);
    pen = true;
  }
  if (segs.length === 0) return "";
  const dash = s.dash ? ` stroke-dasharray="6 3"` : "";
  if (s.xs.length === 1) {
    return `<circle cx="${px(xs.map(s.xs[0]!))}" cy="${px(ys.map(s.ys[0]!))}" r="2.5" fill="${s.colour}"/>`;
  }
  return `<path d="${segs.join("")}" fill="none" stroke="${s.colour}" stroke-width="1.7" stroke-linejoin="round" stroke-linecap="round"${dash}/>`;
}

/**
 * Training curves. One run: one panel with every loss part (log y when all positive; signed parts
 * such as F or W go to a second, linear panel). Several runs: one panel per loss part, one colour
 * per run, all on the same x axis.
 */
export function curvesPlot(runs: readonly CurveRun[], o: CurvesOptions = {}): Plot {
  if (runs.length === 0) throw new RangeError("curvesPlot: no runs");
  const notes: string[] = [];
  const xKey = xField(runs, o.x);
  const max = o.maxPoints ?? 1500;
  const keys = o.keys ? [...o.keys] : [...new Set(runs.flatMap((r) => curveKeys(r.records, xKey)))];
  const panels: CurvePanel[] = [];
  const positive = (ss: Series[]): boolean => ss.length > 0 && ss.every((s) => s.ys.every((y) => y > 0));
  const wantLog = (ss: Series[]): boolean => (o.yScale === "log" ? true : o.yScale === "linear" ? false : positive(ss));
  let legendItems: LegendItem[] = [];
  let legendTitle: string | undefined;
  if (runs.length === 1) {
    const colours = categoricalColours(keys.length);
    const all = keys.map((k, i): Series => ({ label: k, colour: colours[i]!, dash: false, ...extractSeries(runs[0]!.records, k, xKey, max) }));
    const nonEmpty = all.filter((s) => s.xs.length > 0);
    legendItems = nonEmpty.map((s) => ({ label: s.label, colour: s.colour, mark: "line" }));
    if ((o.yScale ?? "auto") === "auto" && !positive(nonEmpty)) {
      const pos = nonEmpty.filter((s) => positive([s]));
      const signed = nonEmpty.filter((s) => !positive([s]));
      if (pos.length > 0) panels.push({ title: "positive parts (log scale)", series: pos, log: true });
      if (signed.length > 0) panels.push({ title: pos.length > 0 ? "signed parts (linear scale)" : runs[0]!.name, series: signed, log: false });
    } else {
      panels.push({ title: runs[0]!.name, series: nonEmpty, log: wantLog(nonEmpty) });
    }
    if (nonEmpty.some((s) => s.xs.length === max)) notes.push(`Long series averaged in ${max} buckets.`);
  } else {
    const colours = categoricalColours(runs.length);
    legendItems = runs.map((r, i) => ({ label: r.name, colour: colours[i]!, mark: "line" }));
    legendTitle = "run";
    for (const k of keys) {
      const series = runs
        .map((r, i): Series => ({ label: r.name, colour: colours[i]!, dash: false, ...extractSeries(r.records, k, xKey, max) }))
        .filter((s) => s.xs.length > 0);
      if (series.length > 0) panels.push({ title: k, series, log: wantLog(series) });
    }
  }
  if (panels.length === 0) panels.push({ title: "no numeric series", series: [], log: false });

  const w = o.panelWidth ?? 420;
  const h = o.panelHeight ?? 260;
  const lw = legendWidth(legendItems, legendTitle);
  const layout = gridLayout(panels.length, w, h, o.columns ?? (runs.length === 1 ? 2 : Math.min(panels.length, 3)), lw, !!o.title);
  const parts: string[] = [figureTitle(layout, o.title)];
  let allX: number[] = [];
  for (const p of panels) for (const s of p.series) allX = allX.concat(s.xs);
  const xe = finiteExtent(allX);
  const xd: [number, number] = xe[1] > xe[0] ? niceDomain(xe[0], xe[1]) : xe;
  panels.forEach((p, k) => {
    const area = layout.areas[k]!;
    const xs = linearAxis(xd[1] > xd[0] ? xd : pad(xd), [area.x, area.x + area.w]);
    const ysAll = p.series.flatMap((s) => s.ys).filter((y) => Number.isFinite(y) && (!p.log || y > 0));
    const yd = finiteExtent(ysAll);
    const ys = p.log ? logAxis(padLog(yd, 0.05), [area.y + area.h, area.y]) : linearAxis(pad(yd, 0.05), [area.y + area.h, area.y]);
    const ax = axes(area, xs, ys, { xLabel: xKey ?? "record", yTicks: 5, xTicks: 6 });
    const clipId = `clip-c${k}`;
    parts.push(
      `<defs>${clipDef(clipId, { x: area.x - 3, y: area.y - 3, w: area.w + 6, h: area.h + 6 })}</defs>`,
      ax.under,
      `<g clip-path="url(#${clipId})">${p.series.map((s) => linePath(s, xs, ys)).join("")}</g>`,
      ax.over,
      panelTitle(area, p.title),
    );
    if (p.series.length === 0) parts.push(text(area.x + area.w / 2, area.y + area.h / 2, "no data", { anchor: "middle", fill: AXIS_COLOUR }));
  });
  parts.push(legend(legendItems, layout.side.x, layout.side.y, legendTitle));
  // The legend may be taller than one panel row.
  const height = Math.max(layout.height, layout.side.y + legendHeight(legendItems, legendTitle) + 10);
  return { svg: svgDocument(layout.width, height, parts.join(""), o.title), width: Math.ceil(layout.width), height: Math.ceil(height), notes };
}
