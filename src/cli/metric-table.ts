/** A plain-text table of run metrics for the terminal: one row per metric, one column per run. */
import { metricInfo } from "../report/metrics.js";

/** 4 significant digits; exponent notation (ASCII, for any terminal) outside [1e-3, 1e5). */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - [...s].length));
const padLeft = (s: string, n: number): string => " ".repeat(Math.max(0, n - [...s].length)) + s;

/** Rows for `keys` (default: every key, first-seen order); metric labels from the report's catalogue. */
export function metricTable(
  runs: readonly { name: string; metrics: Readonly<Record<string, number | null>> }[],
  keys?: readonly string[],
): string {
  const all = keys ?? [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const shown = all.filter((k) => runs.some((r) => k in r.metrics));
  const labels = shown.map((k) => {
    const info = metricInfo(k);
    const dir =
      !info || info.better === "none" ? "" : info.better === "lower" ? " ↓" : info.better === "higher" ? " ↑" : ` →${info.better}`;
    return `${info?.label ?? k}${dir}`;
  });
  const cells = runs.map((r) => shown.map((k) => formatNumber(r.metrics[k])));
  const w0 = Math.max(6, ...labels.map((l) => [...l].length));
  const ws = runs.map((r, i) => Math.max([...r.name].length, ...cells[i]!.map((c) => [...c].length)));
  const lines = [pad("metric", w0) + runs.map((r, i) => "  " + padLeft(r.name, ws[i]!)).join("")];
  lines.push("-".repeat(lines[0]!.length));
  shown.forEach((_, j) => lines.push(pad(labels[j]!, w0) + runs.map((_r, i) => "  " + padLeft(cells[i]![j]!, ws[i]!)).join("")));
  return lines.join("\n");
}
