/**
 * Small SVG building blocks shared by the plots: escaping, number formatting, axis scales and
 * ticks (linear and log10), axes with grid lines, colour bars and legends. Everything returns
 * SVG markup as strings; nothing here does I/O.
 */
import { ticks as d3ticks, tickStep } from "d3-array";
import type { ContinuousScale } from "./color.js";

/** Font stack: DejaVu Sans first (what the PNG renderer loads), browsers fall back as usual. */
export const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
export const TEXT_COLOUR = "#222";
export const AXIS_COLOUR = "#555";
export const GRID_COLOUR = "#e6e6e6";

/** Escape text for use in SVG/HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A coordinate, rounded to 0.01 px, without trailing zeros. */
export function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

const SUPERSCRIPT: Record<string, string> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};

/** "10⁻³" for exponent −3. */
export function powerOfTen(e: number): string {
  return `10${String(e).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]!)}`;
}

/** Uses U+2212 (minus sign) for negatives, as typeset plots do. */
function minus(s: string): string {
  return s.replace(/^-/, "−");
}

/**
 * A tick label for `v` on an axis whose tick spacing is `step`: as many decimals as the step needs,
 * scientific ("2×10⁻⁴") for very small or very large magnitudes.
 */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const mag = Math.max(Math.abs(v), Math.abs(step));
  if (mag >= 1e5 || mag < 1e-3) {
    const e = Math.floor(Math.log10(Math.abs(step)));
    const m = v / 10 ** e;
    const ms = String(Math.round(m * 100) / 100);
    if (ms === "1") return powerOfTen(e);
    if (ms === "-1") return minus(`-${powerOfTen(e)}`);
    return minus(`${ms}×${powerOfTen(e)}`);
  }
  let decimals = Math.max(0, -Math.floor(Math.log10(Math.abs(step)) + 1e-9));
  while (decimals < 8 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  return minus(v.toFixed(decimals));
}

/** A number for tables and captions: 4 significant digits, scientific outside [1e-3, 1e5). */
export function formatValue(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return "—";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    return minus(`${String(Number(m))}×${powerOfTen(Number(e))}`);
  }
  return minus(String(Number(v.toPrecision(digits))));
}

export interface Tick {
  value: number;
  label: string;
  /** Minor ticks get a short mark and no label or grid line. */
  minor?: boolean;
}

export interface AxisScale {
  domain: readonly [number, number];
  range: readonly [number, number];
  log: boolean;
  map(v: number): number;
  ticks(count?: number): Tick[];
}

/** Linear map of [d0, d1] onto [r0, r1] (r0 > r1 for a y axis). */
export function linearAxis(domain: readonly [number, number], range: readonly [number, number]): AxisScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return {
    domain,
    range,
    log: false,
    map: (v) => r0 + ((v - d0) / span) * (r1 - r0),
    ticks: (count = 6) => linearTicks(d0, d1, count),
  };
}

/** log10 map of [d0, d1] (positive) onto [r0, r1]. */
export function logAxis(domain: readonly [number, number], range: readonly [number, number]): AxisScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const a = Math.log10(d0);
  const b = Math.log10(d1);
  const span = b - a || 1;
  return {
    domain,
    range,
    log: true,
    map: (v) => r0 + ((Math.log10(v) - a) / span) * (r1 - r0),
    ticks: (count = 6) => logTicks(d0, d1, count),
  };
}

/**
 * Symmetric-log map of [centre − m, centre + m] onto [r0, r1] (see color.ts symlog): ticks at the
 * centre and at ± powers of ten between c and m (at most three a side).
 */
export function symlogAxis(domain: readonly [number, number], range: readonly [number, number], c: number): AxisScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const centre = (d0 + d1) / 2;
  const m = (d1 - d0) / 2;
  const f = (x: number): number => Math.sign(x) * Math.log10(1 + Math.abs(x) / c);
  const fm = f(m) || 1;
  const ticks = (): Tick[] => {
    const lo = Math.ceil(Math.log10(c));
    const hi = Math.floor(Math.log10(m));
    const powers: number[] = [];
    for (let e = hi; e >= lo && powers.length < 3; e -= Math.max(1, Math.ceil((hi - lo + 1) / 3))) powers.push(10 ** e);
    const out: Tick[] = [{ value: centre, label: formatTick(centre, m) }];
    for (const p of powers) out.push({ value: centre + p, label: formatTick(p, p) }, { value: centre - p, label: formatTick(-p, p) });
    return out.sort((a, b) => a.value - b.value);
  };
  return { domain, range, log: false, map: (v) => r0 + (0.5 + f(v - centre) / (2 * fm)) * (r1 - r0), ticks };
}

export function linearTicks(lo: number, hi: number, count = 6): Tick[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (lo === hi) return [{ value: lo, label: formatTick(lo, Math.abs(lo) || 1) }];
  const step = Math.abs(tickStep(lo, hi, count));
  return d3ticks(lo, hi, count).map((value) => ({ value, label: formatTick(value, step) }));
}

/**
 * Ticks for a log10 axis: labelled powers of ten (every k-th one when there are many decades),
 * unlabelled minor ticks at 2…9 × 10ⁿ when there are few; within a single decade, linear ticks.
 */
export function logTicks(lo: number, hi: number, count = 6): Tick[] {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) return [];
  const a = Math.floor(Math.log10(lo) + 1e-12);
  const b = Math.ceil(Math.log10(hi) - 1e-12);
  const decades = Math.log10(hi) - Math.log10(lo);
  if (decades < 1) return linearTicks(lo, hi, Math.min(count, 5)).filter((t) => t.value > 0);
  const every = Math.max(1, Math.ceil((b - a) / count));
  const out: Tick[] = [];
  for (let e = a; e <= b; e++) {
    const p = 10 ** e;
    if (p >= lo * (1 - 1e-9) && p <= hi * (1 + 1e-9)) {
      out.push(e % every === 0 ? { value: p, label: powerOfTen(e) } : { value: p, label: "", minor: true });
    }
    if (every === 1 && b - a <= 6) {
      for (let m = 2; m <= 9; m++) {
        const v = m * p;
        if (v >= lo && v <= hi) out.push({ value: v, label: "", minor: true });
      }
    }
  }
  if (out.filter((t) => !t.minor).length < 2) {
    // Fewer than two labelled powers of ten in view: label 2× and 5× too.
    for (const t of out)
      if (t.minor && /^[25]/.test(t.value.toPrecision(1))) {
        t.label = formatTick(t.value, t.value);
        delete t.minor;
      }
  }
  return out;
}

/** [lo, hi] widened by `frac` of its span on each side (or around a single value). */
export function pad(domain: readonly [number, number], frac = 0.04): [number, number] {
  const [lo, hi] = domain;
  const span = hi - lo;
  if (!(span > 0)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return [lo - d, hi + d];
  }
  return [lo - span * frac, hi + span * frac];
}

/** [lo, hi] widened by a factor on a log scale. */
export function padLog(domain: readonly [number, number], frac = 0.04): [number, number] {
  const [lo, hi] = domain;
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const span = b - a;
  if (!(span > 0)) return [lo / 2, hi * 2];
  return [10 ** (a - span * frac), 10 ** (b + span * frac)];
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TextOptions {
  size?: number;
  anchor?: "start" | "middle" | "end";
  weight?: "normal" | "bold";
  fill?: string;
  baseline?: "auto" | "middle" | "hanging";
  rotate?: number;
  italic?: boolean;
}

/** A <text> element. */
export function text(x: number, y: number, s: string, o: TextOptions = {}): string {
  const attrs = [`x="${px(x)}"`, `y="${px(y)}"`];
  if (o.size !== undefined) attrs.push(`font-size="${o.size}"`);
  if (o.anchor && o.anchor !== "start") attrs.push(`text-anchor="${o.anchor}"`);
  if (o.weight === "bold") attrs.push(`font-weight="bold"`);
  if (o.italic) attrs.push(`font-style="italic"`);
  if (o.fill) attrs.push(`fill="${o.fill}"`);
  if (o.baseline === "middle") attrs.push(`dy="0.35em"`);
  if (o.baseline === "hanging") attrs.push(`dy="0.8em"`);
  if (o.rotate) attrs.push(`transform="rotate(${o.rotate} ${px(x)} ${px(y)})"`);
  return `<text ${attrs.join(" ")}>${esc(s)}</text>`;
}

export interface AxesOptions {
  xLabel?: string;
  yLabel?: string;
  xTicks?: number;
  yTicks?: number;
  grid?: boolean;
  /** Hide the y tick labels (panels after the first one in a shared-axis row). */
  hideYLabels?: boolean;
}

/** Frame, ticks, tick labels, grid lines and axis labels of a plot area. */
export function axes(area: Rect, xs: AxisScale, ys: AxisScale, o: AxesOptions = {}): { under: string; over: string } {
  const under: string[] = [];
  const over: string[] = [];
  const grid = o.grid ?? true;
  const bottom = area.y + area.h;
  for (const t of xs.ticks(o.xTicks ?? 6)) {
    const x = xs.map(t.value);
    if (x < area.x - 0.5 || x > area.x + area.w + 0.5) continue;
    if (grid && !t.minor) under.push(`<line x1="${px(x)}" y1="${px(area.y)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${GRID_COLOUR}"/>`);
    over.push(`<line x1="${px(x)}" y1="${px(bottom)}" x2="${px(x)}" y2="${px(bottom + (t.minor ? 3 : 5))}" stroke="${AXIS_COLOUR}"/>`);
    if (t.label) over.push(text(x, bottom + 8, t.label, { size: 11, anchor: "middle", baseline: "hanging", fill: TEXT_COLOUR }));
  }
  for (const t of ys.ticks(o.yTicks ?? 6)) {
    const y = ys.map(t.value);
    if (y < area.y - 0.5 || y > bottom + 0.5) continue;
    if (grid && !t.minor)
      under.push(`<line x1="${px(area.x)}" y1="${px(y)}" x2="${px(area.x + area.w)}" y2="${px(y)}" stroke="${GRID_COLOUR}"/>`);
    over.push(`<line x1="${px(area.x - (t.minor ? 3 : 5))}" y1="${px(y)}" x2="${px(area.x)}" y2="${px(y)}" stroke="${AXIS_COLOUR}"/>`);
    if (t.label && !o.hideYLabels)
      over.push(text(area.x - 8, y, t.label, { size: 11, anchor: "end", baseline: "middle", fill: TEXT_COLOUR }));
  }
  over.push(`<rect x="${px(area.x)}" y="${px(area.y)}" width="${px(area.w)}" height="${px(area.h)}" fill="none" stroke="${AXIS_COLOUR}"/>`);
  if (o.xLabel) over.push(text(area.x + area.w / 2, bottom + 38, o.xLabel, { size: 12, anchor: "middle", fill: TEXT_COLOUR }));
  if (o.yLabel && !o.hideYLabels) {
    over.push(text(area.x - 46, area.y + area.h / 2, o.yLabel, { size: 12, anchor: "middle", fill: TEXT_COLOUR, rotate: -90 }));
  }
  return { under: under.join(""), over: over.join("") };
}

export interface ColourBarOptions {
  label?: string;
  clippedLow?: boolean;
  clippedHigh?: boolean;
  /** Adds a grey "n/a" swatch below the bar. */
  missing?: boolean;
  ticks?: number;
}

/** Width a vertical colour bar with its tick labels takes (for layout). */
export const COLOUR_BAR_WIDTH = 88;

/**
 * A vertical colour bar in `area` (bar 14 px wide at its left, tick labels to its right, label
 * rotated further right). Clipped ends get a triangle ("values beyond the bar").
 */
export function colourBar(scale: ContinuousScale, area: Rect, o: ColourBarOptions = {}): string {
  const id = `cb-${scale.kind}-${Math.round(area.x)}-${Math.round(area.y)}`;
  const barW = 14;
  const tri = 9;
  const top = area.y + (o.clippedHigh ? tri : 0);
  const bottom = area.y + area.h - (o.clippedLow ? tri : 0) - (o.missing ? 24 : 0);
  const h = bottom - top;
  const stops: string[] = [];
  const nStops = 33;
  for (let i = 0; i < nStops; i++) {
    const t = i / (nStops - 1);
    stops.push(`<stop offset="${px(t * 100)}%" stop-color="${scale.ramp(1 - t)}"/>`);
  }
  const parts: string[] = [];
  parts.push(`<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops.join("")}</linearGradient></defs>`);
  parts.push(
    `<rect x="${px(area.x)}" y="${px(top)}" width="${barW}" height="${px(h)}" fill="url(#${id})" stroke="${AXIS_COLOUR}" stroke-width="0.8"/>`,
  );
  if (o.clippedHigh) {
    parts.push(
      `<path d="M${px(area.x)} ${px(top)}L${px(area.x + barW / 2)} ${px(top - tri)}L${px(area.x + barW)} ${px(top)}Z" fill="${scale.ramp(1)}" stroke="${AXIS_COLOUR}" stroke-width="0.8"/>`,
    );
  }
  if (o.clippedLow) {
    parts.push(
      `<path d="M${px(area.x)} ${px(bottom)}L${px(area.x + barW / 2)} ${px(bottom + tri)}L${px(area.x + barW)} ${px(bottom)}Z" fill="${scale.ramp(0)}" stroke="${AXIS_COLOUR}" stroke-width="0.8"/>`,
    );
  }
  const axis =
    scale.transform === "log"
      ? logAxis(scale.domain, [bottom, top])
      : scale.transform === "symlog" && scale.linthresh !== undefined
        ? symlogAxis(scale.domain, [bottom, top], scale.linthresh)
        : linearAxis(scale.domain, [bottom, top]);
  for (const t of axis.ticks(o.ticks ?? 6)) {
    const y = axis.map(t.value);
    if (y < top - 0.5 || y > bottom + 0.5) continue;
    parts.push(
      `<line x1="${px(area.x + barW)}" y1="${px(y)}" x2="${px(area.x + barW + (t.minor ? 2.5 : 4))}" y2="${px(y)}" stroke="${AXIS_COLOUR}"/>`,
    );
    if (t.label) parts.push(text(area.x + barW + 7, y, t.label, { size: 11, baseline: "middle", fill: TEXT_COLOUR }));
  }
  if (o.missing) {
    const y = area.y + area.h - 14;
    parts.push(
      `<rect x="${px(area.x)}" y="${px(y)}" width="${barW}" height="12" fill="#c8c8c8" stroke="${AXIS_COLOUR}" stroke-width="0.8"/>`,
    );
    parts.push(text(area.x + barW + 7, y + 6, "n/a", { size: 11, baseline: "middle", fill: TEXT_COLOUR }));
  }
  if (o.label) {
    const x = area.x + COLOUR_BAR_WIDTH - 8;
    parts.push(text(x, (top + bottom) / 2, o.label, { size: 12, anchor: "middle", fill: TEXT_COLOUR, rotate: -90 }));
  }
  return parts.join("");
}

export interface LegendItem {
  label: string;
  colour: string;
  /** "dot" (scatter classes), "line" (curves) or "dash" (dashed line). */
  mark?: "dot" | "line" | "dash";
}

/** Width of a vertical legend's widest entry (approximate; DejaVu Sans at 11 px ≈ 6.6 px/char). */
export function legendWidth(items: readonly LegendItem[], title?: string): number {
  const chars = Math.max(title ? title.length * 1.05 : 0, ...items.map((i) => i.label.length));
  return Math.ceil(26 + chars * 6.8);
}

/** A vertical legend at (x, y): title, then one row per item. */
export function legend(items: readonly LegendItem[], x: number, y: number, title?: string): string {
  const parts: string[] = [];
  let cy = y;
  if (title) {
    parts.push(text(x, cy + 5, title, { size: 12, weight: "bold", fill: TEXT_COLOUR, baseline: "middle" }));
    cy += 20;
  }
  for (const it of items) {
    const mark = it.mark ?? "dot";
    if (mark === "dot") parts.push(`<circle cx="${px(x + 6)}" cy="${px(cy + 5)}" r="5" fill="${it.colour}"/>`);
    else {
      const dash = mark === "dash" ? ` stroke-dasharray="5 3"` : "";
      parts.push(
        `<line x1="${px(x)}" y1="${px(cy + 5)}" x2="${px(x + 18)}" y2="${px(cy + 5)}" stroke="${it.colour}" stroke-width="2.2"${dash}/>`,
      );
    }
    parts.push(text(x + 24, cy + 5, it.label, { size: 11, fill: TEXT_COLOUR, baseline: "middle" }));
    cy += 18;
  }
  return parts.join("");
}

/** Height a vertical legend needs. */
export function legendHeight(items: readonly LegendItem[], title?: string): number {
  return (title ? 20 : 0) + items.length * 18;
}

/** A complete SVG document with a white background and the shared font settings. */
export function svgDocument(width: number, height: number, body: string, title?: string): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="${esc(FONT_FAMILY)}" font-size="12">` +
    (title ? `<title>${esc(title)}</title>` : "") +
    `<rect width="${w}" height="${h}" fill="#ffffff"/>` +
    body +
    `</svg>`
  );
}
