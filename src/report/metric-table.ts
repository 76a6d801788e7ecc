/**
 * The report's metric table and glossary. A value is highlighted as the best, and a change marked
 * better or worse, only when the difference is larger than the noise: twice the seed-to-seed
 * standard deviation where the report holds several seeds of one setting, otherwise a stated
 * relative threshold (1 % by default), since one run per setting says nothing about its spread.
 */
import { betterPhrase, bestIndices, metricInfo, type MetricInfo } from "./metrics.js";
import { esc, formatValue } from "./svg.js";

/** What the table needs of a run. */
export interface TableRun {
  name: string;
  config: Readonly<Record<string, unknown>>;
  metrics: Readonly<Record<string, number | null>>;
  metricInfo?: Readonly<Record<string, MetricInfo>>;
}

/** Config keys that do not change the experiment (identity, bookkeeping) or are the seed itself. */
const NOT_THE_SETTING = new Set(["name", "seed", "description", "runsDir", "resolved", "$schema"]);

/** JSON with object keys sorted at every level, so equal settings give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function settingKey(config: Readonly<Record<string, unknown>>): string {
  return canonical(Object.fromEntries(Object.entries(config).filter(([k]) => !NOT_THE_SETTING.has(k))));
}

export interface NoiseRule {
  /** One sentence for the page: what counts as a difference. */
  describe: string;
  /** Whether a and b differ by more than the noise of `key`. */
  differs(key: string, a: number, b: number): boolean;
}

/**
 * Groups runs that differ only in their seed; where a group has two or more runs, the pooled
 * within-group standard deviation of each metric is its spread, and differences up to twice that
 * are noise. Without such a group, differences up to `relative` of the larger magnitude are noise.
 */
export function noiseRule(runs: readonly TableRun[], relative = 0.01): NoiseRule {
  const groups = new Map<string, TableRun[]>();
  for (const r of runs) {
    const k = settingKey(r.config);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  // Replicates: the same setting with at least two different seeds.
  const seeded = [...groups.values()].filter((g) => new Set(g.map((r) => r.config["seed"]).filter((x) => typeof x === "number")).size >= 2);
  const relativeRule = (a: number, b: number): boolean => Math.abs(a - b) > relative * Math.max(Math.abs(a), Math.abs(b));
  if (seeded.length === 0) {
    const pct = formatValue(relative * 100, 3);
    return {
      describe: `Each setting has one run, so its seed-to-seed spread is unknown: differences under ${pct} % are not marked.`,
      differs: (_k, a, b) => relativeRule(a, b),
    };
  }
  const spread = new Map<string, number>();
  const keys = new Set(runs.flatMap((r) => Object.keys(r.metrics)));
  for (const key of keys) {
    let ss = 0;
    let dof = 0;
    for (const g of seeded) {
      const v = g.map((r) => r.metrics[key]).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
      if (v.length < 2) continue;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      ss += v.reduce((s, x) => s + (x - mean) ** 2, 0);
      dof += v.length - 1;
    }
    if (dof > 0) spread.set(key, Math.sqrt(ss / dof));
  }
  return {
    describe: `Differences are marked only when larger than twice the seed-to-seed standard deviation (pooled over ${seeded.length} setting${seeded.length === 1 ? "" : "s"} run with several seeds).`,
    differs: (k, a, b) => {
      const sd = spread.get(k);
      return sd === undefined ? relativeRule(a, b) : Math.abs(a - b) > 2 * sd;
    },
  };
}

function directionGlyph(info: MetricInfo | undefined): string {
  if (!info || info.better === "none") return "";
  if (info.better === "lower") return "↓ lower";
  if (info.better === "higher") return "↑ higher";
  return `→ ${info.better}`;
}

export function metricKeys(runs: readonly TableRun[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k);
  return [...keys];
}

export function infoFor(key: string, runs: readonly TableRun[]): MetricInfo | undefined {
  for (const r of runs) {
    const i = r.metricInfo?.[key];
    if (i) return i;
  }
  return metricInfo(key);
}

/** Relative change from a to b as a signed percentage, marked good/bad only beyond the noise. */
function delta(
  key: string,
  a: number | null | undefined,
  b: number | null | undefined,
  info: MetricInfo | undefined,
  noise: NoiseRule,
): string {
  if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b)) return `<td class="num delta"></td>`;
  if (a === b) return `<td class="num delta">0 %</td>`;
  const rel = a !== 0 ? ((b - a) / Math.abs(a)) * 100 : NaN;
  const ratio = b / a;
  let txt: string;
  if (Number.isNaN(rel)) txt = `${b > a ? "+" : "−"}${formatValue(Math.abs(b - a))}`;
  else if (ratio >= 10) txt = `×${formatValue(ratio, 3)}`;
  else if (ratio > 0 && ratio <= 0.1) txt = `÷${formatValue(1 / ratio, 3)}`;
  else txt = `${rel > 0 ? "+" : "−"}${formatValue(Math.abs(rel), 3)} %`;
  let cls = "";
  if (info && info.better !== "none" && noise.differs(key, a, b)) {
    const best = bestIndices([a, b], info.better);
    if (best.length === 1) cls = best[0] === 1 ? " good" : " bad";
  }
  const title = cls === "" && info && info.better !== "none" ? ` title="within the noise: not marked"` : "";
  return `<td class="num delta${cls}"${title}>${esc(txt)}</td>`;
}

/** Indices of the best values, only when the best beats every other value by more than the noise. */
function clearBest(key: string, values: readonly (number | null | undefined)[], info: MetricInfo | undefined, noise: NoiseRule): number[] {
  if (!info) return [];
  const best = bestIndices(values, info.better);
  if (best.length !== 1) return [];
  const b = values[best[0]!] as number;
  const others = values.filter((v, i): v is number => i !== best[0] && typeof v === "number" && Number.isFinite(v));
  return others.every((v) => noise.differs(key, b, v)) ? best : [];
}

export function metricsTable(runs: readonly TableRun[], noise: NoiseRule): string {
  const keys = metricKeys(runs);
  if (keys.length === 0) return `<p class="sub">No metrics recorded.</p>`;
  const two = runs.length === 2;
  const head =
    `<tr><th>metric</th>${runs.map((r) => `<th class="num">${esc(r.name)}</th>`).join("")}` +
    `${two ? `<th class="num" title="relative change from ${esc(runs[0]!.name)} to ${esc(runs[1]!.name)}">change</th>` : ""}<th>better</th></tr>`;
  const rows = keys.map((k) => {
    const info = infoFor(k, runs);
    const values = runs.map((r) => r.metrics[k]);
    const best = runs.length > 1 ? clearBest(k, values, info, noise) : [];
    const cells = values
      .map((v, i) => {
        const title = typeof v === "number" ? ` title="${esc(String(v))}"` : "";
        return `<td class="num${best.includes(i) ? " best" : ""}"${title}>${esc(formatValue(v))}</td>`;
      })
      .join("");
    const label = info
      ? `${esc(info.label)}<span class="key">${esc(k)}</span>`
      : `<span class="key" style="color:inherit">${esc(k)}</span>`;
    return `<tr><td>${label}</td>${cells}${two ? delta(k, values[0], values[1], info, noise) : ""}<td class="dir">${esc(directionGlyph(info))}</td></tr>`;
  });
  return `<table class="metrics"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}

export function glossary(runs: readonly TableRun[]): string {
  const seen = new Map<string, { info: MetricInfo; keys: string[] }>();
  for (const k of metricKeys(runs)) {
    const info = infoFor(k, runs);
    if (!info) continue;
    const e = seen.get(info.label);
    if (e) e.keys.push(k);
    else seen.set(info.label, { info, keys: [k] });
  }
  if (seen.size === 0) return "";
  const items = [...seen.values()].map(
    ({ info, keys }) =>
      `<dt>${esc(info.label)}<span class="key">${esc(keys.join(", "))}</span></dt>` +
      `<dd>${esc(info.description)} <span class="dir">(${esc(betterPhrase(info.better))})</span></dd>`,
  );
  return `<h2 id="metrics-explained">About the metrics</h2><dl class="glossary">${items.join("")}</dl>`;
}
