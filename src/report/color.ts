/**
 * Colour scales for the report's pictures: sequential (viridis), diverging (RdBu, blue < 0 < red,
 * symmetric about a centre), categorical (Tableau 10, then evenly spaced hues), plus the robust
 * domains they are built on (quantiles, so that a few extreme values do not wash out the rest).
 *
 * Every scale maps a value to a CSS hex colour; non-finite values get `MISSING_COLOUR`.
 */
import { interpolateRdBu, interpolateSinebow, interpolateViridis, schemeTableau10 } from "d3-scale-chromatic";

/** Colour of NaN / ±Infinity cells and points. */
export const MISSING_COLOUR = "#c8c8c8";

/** "symlog": sign(v)·log10(1 + |v|/c), linear within ±c and logarithmic beyond (diverging only). */
export type Transform = "linear" | "log" | "symlog";

export interface ContinuousScale {
  kind: "sequential" | "diverging";
  /** [lo, hi] in data units; values outside are clamped (the colour bar marks that). */
  domain: readonly [number, number];
  transform: Transform;
  /** Diverging scales only: the value drawn in the neutral colour. */
  centre?: number;
  /** "symlog" only: the half-width c of the linear part around the centre. */
  linthresh?: number;
  /** Position in [0, 1] of a value along the colour ramp (clamped); NaN for non-finite values. */
  position(v: number): number;
  /** The colour of a ramp position t ∈ [0, 1]. */
  ramp(t: number): string;
  /** The colour of a value. */
  colour(v: number): string;
}

/** "#rrggbb" form of the colours d3-scale-chromatic returns ("#rgb", "#rrggbb", "rgb(r, g, b)"). */
export function toHex(c: string): string {
  const s = c.trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(s)) return s;
  if (/^#[0-9a-f]{3}$/.test(s)) return `#${s[1]}${s[1]}${s[2]}${s[2]}${s[3]}${s[3]}`;
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(s);
  if (!m) throw new RangeError(`toHex: unsupported colour ${JSON.stringify(c)}`);
  const hex = (x: string): string =>
    Math.max(0, Math.min(255, Math.round(Number(x))))
      .toString(16)
      .padStart(2, "0");
  return `#${hex(m[1]!)}${hex(m[2]!)}${hex(m[3]!)}`;
}

/** 256-entry lookup of a ramp, so that hot loops (heatmaps, 20k points) do not re-interpolate. */
function lut(interp: (t: number) => string): (t: number) => string {
  const table = Array.from({ length: 256 }, (_, i) => toHex(interp(i / 255)));
  return (t) => table[Math.max(0, Math.min(255, Math.round(t * 255)))]!;
}

const viridis = lut(interpolateViridis);
/** d3's RdBu runs red → blue; reversed so that negative values are blue and positive red. */
const blueRed = lut((t) => interpolateRdBu(1 - t));

function transformValue(v: number, transform: Transform): number {
  if (transform === "symlog") throw new RangeError("sequentialScale: symlog is for diverging scales");
  return transform === "log" ? Math.log10(v) : v;
}

/**
 * Sequential (viridis) scale on `domain`; with transform "log" the ramp is linear in log10 v and
 * the domain must be positive (non-positive values are treated as missing).
 */
export function sequentialScale(domain: readonly [number, number], transform: Transform = "linear"): ContinuousScale {
  const [lo, hi] = domain;
  if (transform === "log" && !(lo > 0 && hi > 0)) {
    throw new RangeError(`sequentialScale: a log scale needs a positive domain, got [${lo}, ${hi}]`);
  }
  const a = transformValue(lo, transform);
  const b = transformValue(hi, transform);
  const position = (v: number): number => {
    if (!Number.isFinite(v) || (transform === "log" && v <= 0)) return NaN;
    if (b === a) return 0.5;
    return Math.max(0, Math.min(1, (transformValue(v, transform) - a) / (b - a)));
  };
  return {
    kind: "sequential",
    domain: [lo, hi],
    transform,
    position,
    ramp: viridis,
    colour: (v) => {
      const t = position(v);
      return Number.isNaN(t) ? MISSING_COLOUR : viridis(t);
    },
  };
}

/** sign(x)·log10(1 + |x|/c). */
export function symlog(x: number, c: number): number {
  return Math.sign(x) * Math.log10(1 + Math.abs(x) / c);
}

/**
 * Diverging scale symmetric about `centre` (default 0): centre − m → dark blue, centre → near white,
 * centre + m → dark red, where m = max(|lo − centre|, |hi − centre|). With `linthresh` c the ramp
 * position follows symlog(v − centre, c) instead of v − centre: values much smaller than m (a
 * flattened run beside a curved one) still get visible colours.
 */
export function divergingScale(domain: readonly [number, number], centre = 0, linthresh?: number): ContinuousScale {
  const m = Math.max(Math.abs(domain[0] - centre), Math.abs(domain[1] - centre));
  const c = linthresh !== undefined && linthresh > 0 && linthresh < m ? linthresh : undefined;
  const f = (x: number): number => (c === undefined ? x : symlog(x, c));
  const fm = f(m);
  const position = (v: number): number => {
    if (!Number.isFinite(v)) return NaN;
    if (m === 0) return 0.5;
    return Math.max(0, Math.min(1, 0.5 + f(v - centre) / (2 * fm)));
  };
  return {
    kind: "diverging",
    domain: [centre - m, centre + m],
    transform: c === undefined ? "linear" : "symlog",
    centre,
    ...(c === undefined ? {} : { linthresh: c }),
    position,
    ramp: blueRed,
    colour: (v) => {
      const t = position(v);
      return Number.isNaN(t) ? MISSING_COLOUR : blueRed(t);
    },
  };
}

/** k distinct colours: Tableau 10 for k ≤ 10, evenly spaced sinebow hues beyond. */
export function categoricalColours(k: number): string[] {
  if (k <= schemeTableau10.length) return schemeTableau10.slice(0, Math.max(0, k)).map(toHex);
  return Array.from({ length: k }, (_, i) => toHex(interpolateSinebow(i / k)));
}

/** The finite values of `values` (optionally only the positive ones), sorted ascending. */
export function sortedFinite(values: Iterable<number>, positiveOnly = false): Float64Array {
  const out: number[] = [];
  for (const v of values) if (Number.isFinite(v) && (!positiveOnly || v > 0)) out.push(v);
  return Float64Array.from(out).sort();
}

/** Quantile q ∈ [0, 1] of ascending `sorted` (linear interpolation, as numpy's default); NaN if empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.max(0, Math.min(1, q));
  const i = Math.floor(h);
  const lo = sorted[i]!;
  const hi = sorted[Math.min(n - 1, i + 1)]!;
  return lo + (h - i) * (hi - lo);
}

export interface RobustRange {
  /** [quantile(q), quantile(1 − q)] of the finite values; [NaN, NaN] if there are none. */
  domain: [number, number];
  /** Finite values below / above the domain (the colour bar draws an arrow for each side used). */
  clippedLow: boolean;
  clippedHigh: boolean;
  /** True min and max of the finite values. */
  min: number;
  max: number;
  /** Number of non-finite values seen. */
  missing: number;
}

/** Robust range of several arrays together (shared colour scales): quantiles q and 1 − q. */
export function robustRange(arrays: readonly ArrayLike<number>[], q = 0.02, positiveOnly = false): RobustRange {
  const all: number[] = [];
  let missing = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (Number.isFinite(v) && (!positiveOnly || v > 0)) all.push(v);
      else missing++;
    }
  }
  const sorted = Float64Array.from(all).sort();
  if (sorted.length === 0) return { domain: [NaN, NaN], clippedLow: false, clippedHigh: false, min: NaN, max: NaN, missing };
  const lo = quantileSorted(sorted, q);
  const hi = quantileSorted(sorted, 1 - q);
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { domain: [lo, hi], clippedLow: min < lo, clippedHigh: max > hi, min, max, missing };
}

/**
 * Robust symmetric half-width for a diverging scale: quantile(1 − q) of |v − centre| over all
 * arrays (so the colour bar is symmetric about the centre whatever the skew of the data).
 */
export function robustSymmetric(arrays: readonly ArrayLike<number>[], q = 0.02, centre = 0): RobustRange {
  const abs: number[] = [];
  let missing = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (!Number.isFinite(v)) {
        missing++;
        continue;
      }
      abs.push(Math.abs(v - centre));
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (abs.length === 0) return { domain: [NaN, NaN], clippedLow: false, clippedHigh: false, min: NaN, max: NaN, missing };
  const sorted = Float64Array.from(abs).sort();
  let m = quantileSorted(sorted, 1 - q);
  if (!(m > 0)) m = sorted[sorted.length - 1]! > 0 ? sorted[sorted.length - 1]! : 1;
  return { domain: [centre - m, centre + m], clippedLow: min < centre - m, clippedHigh: max > centre + m, min, max, missing };
}
