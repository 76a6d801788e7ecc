/**
 * Training curves from metrics.jsonl records: one panel per loss part (several runs) or all parts
 * in one panel (one run), log scale where every value is positive. Per-step values are noisy (one
 * mini-batch each), so each series is drawn twice: faint as recorded, and bold as a centred moving
 * average (geometric on log panels). Parts are named in words (`curveLabel`), not by their keys.
 */
import { nice } from "d3-array";
import { categoricalColours } from "./color.js";
import { clipDef, figureTitle, finiteExtent, gridLayout, panelTitle, type Plot } from "./layout.js";
import {
  AXIS_COLOUR,
  axes,
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
} from "./svg.js";

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
  /** Moving-average window in points (odd); default about 1/40 of the points; 1: no smoothing. */
  smooth?: number;
  panelWidth?: number;
  panelHeight?: number;
  columns?: number;
}

/** Fields that are never loss parts. */
export const CURVE_BOOKKEEPING = new Set([
  "step",
  "epoch",
  "time",
  "t",
  "wall",
  "wall_s",
  "elapsed",
  "elapsed_s",
  "seconds",
  "timestamp",
  "lr",
  "learning_rate",
  "batch",
  "iter",
  "iteration",
]);

/** Numeric keys of the records, in first-seen order, minus the x field and bookkeeping fields. */
export function curveKeys(records: readonly CurveRecord[], x = "step"): string[] {
  const seen = new Set<string>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (typeof v === "number" && k !== x && !CURVE_BOOKKEEPING.has(k)) seen.add(k);
  }
  return [...seen];
}

/** What each loss part of metrics.jsonl means, for titles and legends. */
const CURVE_LABELS: Readonly<Record<string, string>> = {
  loss: "total loss",
  recon: "reconstruction MSE",
  curv: "curvature term L_curv",
  r2: "mean R²√det g (batch)",
  uniformity: "uniformity term",
  contractive: "contractive term (encoder)",
  decoderContractive: "contractive term (decoder)",
  degenerate: "degenerate points (share)",
  volume: "latent volume ∫dμ",
  meanSqrtDetG: "mean √det g (batch)",
  normError: "normalisation error of e^(−f)",
  tau: "scale τ (W)",
  gradNorm: "gradient norm",
  isometry: "isometry term (relaxed distortion)",
  volumeVariance: "volume term (variance of log det g)",
  conformality: "conformality term",
};

/** A human name for a metrics.jsonl key ("curv" → "curvature term L_curv"); unknown keys as given. */
export function curveLabel(key: string): string {
  return CURVE_LABELS[key] ?? key;
}

interface Series {
  label: string;
  colour: string;
  dash: boolean;
  xs: number[];
  ys: number[];
  /** Moving average of ys (null: not smoothed). */
  smooth: number[] | null;
}

/** Centred moving average over `w` points (w odd), in log10 space when `log` (positive values only). */
export function movingAverage(ys: readonly number[], w: number, log: boolean): number[] {
  const half = Math.floor(w / 2);
  const t = ys.map((y) => (log ? (y > 0 ? Math.log10(y) : NaN) : y));
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    let sum = 0;
    let n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(t.length - 1, i + half); j++) {
      if (Number.isFinite(t[j]!)) {
        sum += t[j]!;
        n++;
      }
    }
    out.push(n === 0 ? NaN : log ? 10 ** (sum / n) : sum / n);
  }
  return out;
}

function smoothWindow(n: number, o: CurvesOptions): number {
  const w = o.smooth ?? Math.max(1, Math.round(n / 40));
  return w % 2 === 0 ? w + 1 : w;
}

function xField(runs: readonly CurveRun[], x: string | undefined): string | undefined {
  if (x) return x;
  const has = (k: string): boolean => runs.some((r) => r.records.some((rec) => typeof rec[k] === "number"));
  return has("step") ? "step" : has("epoch") ? "epoch" : undefined;
}

/** (x, y) of one key, sorted by x, bucket-averaged down to `max` points. */
function extractSeries(
  records: readonly CurveRecord[],
  key: string,
  xKey: string | undefined,
  max: number,
): { xs: number[]; ys: number[] } {
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

function linePath(s: Series, xs: AxisScale, ys: AxisScale, values: readonly number[] = s.ys, faint = false): string {
  const segs: string[] = [];
  let pen = false;
  for (let i = 0; i < s.xs.length; i++) {
    const y = values[i]!;
    if ((ys.log && !(y > 0)) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    segs.push(`${pen ? "L" : "M"}${px(xs.map(s.xs[i]!))} ${px(ys.map(y))}`);
    pen = true;
  }
  if (segs.length === 0) return "";
  const dash = s.dash ? ` stroke-dasharray="6 3"` : "";
  if (s.xs.length === 1) {
    return `<circle cx="${px(xs.map(s.xs[0]!))}" cy="${px(ys.map(values[0]!))}" r="2.5" fill="${s.colour}"/>`;
  }
  const style = faint ? `stroke-width="0.9" stroke-opacity="0.28"` : `stroke-width="1.8"`;
  return `<path d="${segs.join("")}" fill="none" stroke="${s.colour}" ${style} stroke-linejoin="round" stroke-linecap="round"${dash}/>`;
}

/** Both lines of a series: faint as recorded, bold smoothed. */
function seriesPaths(s: Series, xs: AxisScale, ys: AxisScale): string {
  if (!s.smooth) return linePath(s, xs, ys);
  return linePath(s, xs, ys, s.ys, true) + linePath(s, xs, ys, s.smooth);
}

/** y range of a panel: the smoothed lines and the 1–99 % range of the raw values (spikes are clipped). */
function panelYRange(p: CurvePanel): [number, number] {
  const ok = (y: number): boolean => Number.isFinite(y) && (!p.log || y > 0);
  const raw = p.series
    .flatMap((s) => s.ys)
    .filter(ok)
    .sort((a, b) => a - b);
  const smooth = p.series.flatMap((s) => s.smooth ?? []).filter(ok);
  if (raw.length === 0) return finiteExtent([]);
  const q = (f: number): number => raw[Math.min(raw.length - 1, Math.max(0, Math.round(f * (raw.length - 1))))]!;
  const hasSmooth = smooth.length > 0;
  return finiteExtent([...(hasSmooth ? [q(0.01), q(0.99)] : raw), ...smooth]);
}

interface PanelSet {
  panels: CurvePanel[];
  legendItems: LegendItem[];
  legendTitle?: string;
}

const allPositive = (ss: Series[]): boolean => ss.length > 0 && ss.every((s) => s.ys.every((y) => y > 0));
const wantsLog = (ss: Series[], o: CurvesOptions): boolean => (o.yScale === "log" ? true : o.yScale === "linear" ? false : allPositive(ss));

/** One run: every loss part in one panel; on auto scale, signed parts (F, W) in a second, linear one. */
function singleRunPanels(
  run: CurveRun,
  keys: string[],
  xKey: string | undefined,
  max: number,
  o: CurvesOptions,
  notes: string[],
): PanelSet {
  const colours = categoricalColours(keys.length);
  const all = keys.map((k, i): Series => ({
    label: curveLabel(k),
    colour: colours[i]!,
    dash: false,
    smooth: null,
    ...extractSeries(run.records, k, xKey, max),
  }));
  const nonEmpty = all.filter((s) => s.xs.length > 0);
  const panels: CurvePanel[] = [];
  if ((o.yScale ?? "auto") === "auto" && !allPositive(nonEmpty)) {
    const pos = nonEmpty.filter((s) => allPositive([s]));
    const signed = nonEmpty.filter((s) => !allPositive([s]));
    if (pos.length > 0) panels.push({ title: "positive parts (log scale)", series: pos, log: true });
    if (signed.length > 0) panels.push({ title: pos.length > 0 ? "signed parts (linear scale)" : run.name, series: signed, log: false });
  } else {
    panels.push({ title: run.name, series: nonEmpty, log: wantsLog(nonEmpty, o) });
  }
  if (nonEmpty.some((s) => s.xs.length === max)) notes.push(`Long series averaged in ${max} buckets.`);
  return { panels, legendItems: nonEmpty.map((s) => ({ label: s.label, colour: s.colour, mark: "line" })) };
}

/** Several runs: one panel per loss part, one colour per run. */
function multiRunPanels(runs: readonly CurveRun[], keys: string[], xKey: string | undefined, max: number, o: CurvesOptions): PanelSet {
  const colours = categoricalColours(runs.length);
  const panels: CurvePanel[] = [];
  for (const k of keys) {
    const series = runs
      .map((r, i): Series => ({ label: r.name, colour: colours[i]!, dash: false, smooth: null, ...extractSeries(r.records, k, xKey, max) }))
      .filter((s) => s.xs.length > 0);
    if (series.length > 0) panels.push({ title: curveLabel(k), series, log: wantsLog(series, o) });
  }
  return { panels, legendItems: runs.map((r, i) => ({ label: r.name, colour: colours[i]!, mark: "line" })), legendTitle: "run" };
}

/** Moving averages of every long series (geometric on log panels), and the note that says so. */
function smoothPanels(panels: CurvePanel[], o: CurvesOptions, notes: string[]): void {
  let window = 1;
  for (const p of panels)
    for (const s of p.series) {
      const w = smoothWindow(s.ys.length, o);
      if (w > 1 && s.ys.length > w) {
        s.smooth = movingAverage(s.ys, w, p.log);
        window = Math.max(window, w);
      }
    }
  if (window > 1)
    notes.push(
      `Bold lines: centred moving average over ${window} recorded points${panels.some((p) => p.log) ? " (geometric mean on log panels)" : ""}; faint lines: the values as recorded, one mini-batch each.`,
    );
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
  const { panels, legendItems, legendTitle } =
    runs.length === 1 ? singleRunPanels(runs[0]!, keys, xKey, max, o, notes) : multiRunPanels(runs, keys, xKey, max, o);
  if (panels.length === 0) panels.push({ title: "no numeric series", series: [], log: false });
  smoothPanels(panels, o, notes);

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
    const yd = panelYRange(p);
    const ys = p.log ? logAxis(padLog(yd, 0.05), [area.y + area.h, area.y]) : linearAxis(pad(yd, 0.05), [area.y + area.h, area.y]);
    const ax = axes(area, xs, ys, { xLabel: xKey ?? "record", yTicks: 5, xTicks: 6 });
    const clipId = `clip-c${k}`;
    parts.push(
      `<defs>${clipDef(clipId, { x: area.x - 3, y: area.y - 3, w: area.w + 6, h: area.h + 6 })}</defs>`,
      ax.under,
      `<g clip-path="url(#${clipId})">${p.series.map((s) => seriesPaths(s, xs, ys)).join("")}</g>`,
      ax.over,
      panelTitle(area, p.title),
    );
    if (p.series.length === 0)
      parts.push(text(area.x + area.w / 2, area.y + area.h / 2, "no data", { anchor: "middle", fill: AXIS_COLOUR }));
  });
  parts.push(legend(legendItems, layout.side.x, layout.side.y, legendTitle));
  // The legend may be taller than one panel row.
  const height = Math.max(layout.height, layout.side.y + legendHeight(legendItems, legendTitle) + 10);
  return {
    svg: svgDocument(layout.width, height, parts.join(""), o.title),
    width: Math.ceil(layout.width),
    height: Math.ceil(height),
    notes,
  };
}
