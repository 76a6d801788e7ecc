/**
 * Shared layout of the report's figures: panels of equal size in a grid with a side column for a
 * colour bar or legend, equal-aspect boxes for latent coordinates, titles and clip paths.
 */
import { TEXT_COLOUR, px, text, type Rect } from "./svg.js";

/** What every plot function returns. */
export interface Plot {
  /** A complete, standalone SVG document. */
  svg: string;
  width: number;
  height: number;
  /** Facts worth a caption: clipping, subsampling, scales chosen automatically. */
  notes: string[];
}

export const MARGIN = { left: 62, right: 16, top: 40, bottom: 50 };
const FIGURE_TITLE_H = 30;
const SIDE_GAP = 14;

export interface Layout {
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
export function gridLayout(n: number, w: number, h: number, columns: number, sideW: number, hasTitle: boolean): Layout {
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
 * beyond that. With `height`, the panel is width × height and the box is widened to fit it.
 */
export function fitBox(
  xd: readonly [number, number],
  yd: readonly [number, number],
  width: number,
  equal: boolean,
  height?: number,
): { w: number; h: number; xd: [number, number]; yd: [number, number] } {
  let [x0, x1] = xd;
  let [y0, y1] = yd;
  if (!equal) return { w: width, h: height ?? Math.round(width * 0.8), xd: [x0, x1], yd: [y0, y1] };
  const xs = x1 - x0;
  const ys = y1 - y0;
  const ratio = Math.min(1.6, Math.max(0.55, ys / xs));
  const h = height ?? Math.round(width * ratio);
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

export function clipDef(id: string, r: Rect): string {
  return `<clipPath id="${id}"><rect x="${px(r.x)}" y="${px(r.y)}" width="${px(r.w)}" height="${px(r.h)}"/></clipPath>`;
}

export function figureTitle(layout: Layout, title: string | undefined): string {
  return title ? text(layout.width / 2, layout.titleY, title, { size: 15, weight: "bold", anchor: "middle", fill: TEXT_COLOUR }) : "";
}

/** A panel's title above its plot area, and an optional smaller second line (λ, seed). */
export function panelTitle(area: Rect, title: string | undefined, subtitle?: string): string {
  const cx = area.x + area.w / 2;
  if (!subtitle) return title ? text(cx, area.y - 10, title, { size: 13, weight: "bold", anchor: "middle", fill: TEXT_COLOUR }) : "";
  return (
    (title ? text(cx, area.y - 24, title, { size: 13, weight: "bold", anchor: "middle", fill: TEXT_COLOUR }) : "") +
    text(cx, area.y - 8, subtitle, { size: 11, anchor: "middle", fill: TEXT_COLOUR })
  );
}

export function finiteExtent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
