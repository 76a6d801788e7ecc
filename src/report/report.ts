/**
 * The self-contained HTML report of one or more runs: metric tables (side by side, best value
 * highlighted), latent scatter plots, curvature / volume heatmaps, training curves, configs and
 * a glossary of the metrics. Pictures are inlined as PNG data: URIs (SVG when no font is
 * available to the PNG renderer); the page has no scripts and loads nothing from outside.
 *
 * `RunData` is the interface the loader of runs/<name>/ fills in.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { glossary, infoFor, metricKeys, metricsTable, noiseRule } from "./metric-table.js";
import type { MetricInfo } from "./metrics.js";
import {
  curvesPlot,
  heatmapPanels,
  scatterPanels,
  type ColourBy,
  type CurveRecord,
  type FieldGrid,
  type HeatmapOptions,
  type HeatmapPanel,
  type MetricField,
  type Plot,
  type ScatterPanel,
} from "./plots.js";
import { FontUnavailableError, toPng } from "./png.js";
import { esc, formatValue } from "./svg.js";
import { renderShell } from "./template.js";

/** A scalar field sampled on a grid over the latent box (R, √det g, …). */
export interface FieldData extends FieldGrid {
  /**
   * Identifies the field across runs (fields with the same key are drawn side by side on one
   * colour scale). Known keys: "R" (scalar curvature: diverging scale), "sqrtDetG" (volume
   * element √det g: sequential), "R2SqrtDetG" (R²√det g: sequential).
   */
  key: string;
  /** Heading, e.g. "Scalar curvature R"; default from the key. */
  label?: string;
  /** Default: diverging for "R", sequential otherwise. */
  scale?: "diverging" | "sequential";
  /** Sequential only; default "auto" (log10 when positive and spanning > 2 decades). */
  transform?: "linear" | "log" | "auto";
  /** How the grid was obtained, for the caption (e.g. "decoder pullback metric, route B"). */
  description?: string;
}

export interface RunLatent {
  /** n × dim latent codes of (test) points, row-major. */
  z: ArrayLike<number>;
  /** Default 2. */
  dim?: number;
  /**
   * Colourings, one scatter figure each (e.g. class label; Swiss roll t and height). Colourings
   * with the same name and kind are compared across runs. Empty: one plain scatter.
   */
  colours?: readonly ColourBy[];
  /** The latent space is the flat torus (−π, π]^d: pictures wrap the codes. */
  torus?: boolean;
  /** g on a grid of the latent box (d = 2): the first latent figure draws its indicatrices. */
  metric?: MetricField;
}

export interface RunData {
  /** Run name (runs/<name>/). */
  name: string;
  /** The run's configuration as given (shown as JSON). */
  config: Readonly<Record<string, unknown>>;
  /** Final metrics; null where a metric could not be computed. */
  metrics: Readonly<Record<string, number | null>>;
  latent?: RunLatent;
  fields?: readonly FieldData[];
  /** metrics.jsonl records: `{step, epoch, loss, recon, curv, …}`. */
  curves?: readonly CurveRecord[];
  /** Direction and explanation of metrics the built-in catalogue does not know (by exact key). */
  metricInfo?: Readonly<Record<string, MetricInfo>>;
  /** Remarks shown with the run (warnings such as a runaway latent scale). */
  notes?: readonly string[];
  /** Files the run was loaded from: the report refuses to overwrite any of them. */
  sources?: readonly string[];
}

export interface ReportOptions {
  /** Page title; default "ricci-gen report". */
  title?: string;
  /** "png" (default): PNG data URIs rendered by resvg; "svg": SVG data URIs rendered by the browser. */
  images?: "png" | "svg";
  /** PNG pixel density; default 2. */
  pngScale?: number;
  /** Timestamp printed in the header; default now. Pass a fixed value for reproducible output. */
  generatedAt?: Date | string;
  /** Footer text, e.g. "ricci-gen 0.1.0". */
  generator?: string;
  /** With one run per setting: relative differences below this are not marked better/worse (default 0.01). */
  minRelativeDifference?: number;
}

export interface RenderedReport {
  html: string;
  /** How pictures were embedded (PNG falls back to SVG when no font is available). */
  images: "png" | "svg";
  /** Problems that did not stop the report (a figure that could not be drawn, a font fallback). */
  warnings: string[];
  /** Number of <img> elements. */
  figures: number;
  /** The pictures, as SVG documents, with their alt text (for writing them as files). */
  plots: { alt: string; plot: Plot }[];
}

const FIELD_DEFAULTS: Record<string, { label: string; bar: string; scale: "diverging" | "sequential"; about: string }> = {
  r: {
    label: "Scalar curvature R",
    bar: "R",
    scale: "diverging",
    about: "Scalar curvature of the pullback metric g = JᵀJ of the decoder: blue negative, red positive, white flat.",
  },
  sqrtdetg: {
    label: "Volume element √det g",
    bar: "√det g",
    scale: "sequential",
    about: "How much the decoder stretches area at each latent point (√det g, g = JᵀJ); uniform colour = uniform stretching.",
  },
  r2sqrtdetg: {
    label: "Curvature density R²√det g",
    bar: "R²√det g",
    scale: "sequential",
    about: "The integrand of the curvature penalty ∫R² dμ.",
  },
};

function fieldDefaults(key: string): { label: string; bar: string; scale: "diverging" | "sequential"; about: string } {
  return FIELD_DEFAULTS[key.toLowerCase().replace(/[^a-z0-9]/g, "")] ?? { label: key, bar: key, scale: "sequential", about: "" };
}

// ---------------------------------------------------------------------------------------------
// Pieces

function anchor(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

// --- JSON ------------------------------------------------------------------------------------

/** JSON-like view of a value: typed arrays as arrays (long ones cut), cycles and functions named. */
function jsonable(v: unknown, seen: Set<object>): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "function" || typeof v === "symbol") return `[${typeof v}]`;
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (v === null || typeof v !== "object") return v;
  if (seen.has(v)) return "[circular]";
  seen.add(v);
  try {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const arr = Array.from(v as unknown as ArrayLike<number>);
      return arr.length > 64 ? [...arr.slice(0, 64), `… ${arr.length} values`] : arr;
    }
    if (Array.isArray(v)) return v.map((x) => jsonable(x, seen));
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonable(x, seen)]));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonable(x, seen);
    return out;
  } finally {
    seen.delete(v);
  }
}

/** Escape text content (quotes may stay as they are outside attributes). */
function escText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/** Pretty-printed, syntax-coloured JSON as HTML. */
export function jsonHtml(value: unknown, indent = 0): string {
  const pad = (n: number): string => "  ".repeat(n);
  const v = value;
  if (v === null) return `<span class="b">null</span>`;
  if (typeof v === "boolean") return `<span class="b">${v}</span>`;
  if (typeof v === "number") return `<span class="n">${v}</span>`;
  if (typeof v === "string") return `<span class="s">${escText(JSON.stringify(v))}</span>`;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (v.every((x) => x === null || typeof x !== "object") && JSON.stringify(v).length <= 72) {
      return `[${v.map((x) => jsonHtml(x)).join(", ")}]`;
    }
    return `[\n${v.map((x) => pad(indent + 1) + jsonHtml(x, indent + 1)).join(",\n")}\n${pad(indent)}]`;
  }
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return `{\n${entries
      .map(([k, x]) => `${pad(indent + 1)}<span class="k">${escText(JSON.stringify(k))}</span>: ${jsonHtml(x, indent + 1)}`)
      .join(",\n")}\n${pad(indent)}}`;
  }
  return esc(String(v));
}

/** Leaf paths of a JSON-like value: "a.b[2].c" → JSON text of the leaf. */
function flatten(v: unknown, path: string, out: Map<string, string>): void {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.set(path || "(root)", "{}");
    for (const [k, x] of entries) flatten(x, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(v) && v.some((x) => x !== null && typeof x === "object")) {
    v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
  } else {
    out.set(path || "(root)", JSON.stringify(v));
  }
}

function configSection(runs: readonly RunData[]): string {
  const views = runs.map((r) => jsonable(r.config, new Set()));
  let diff = "";
  if (runs.length >= 2) {
    const flats = views.map((v) => {
      const m = new Map<string, string>();
      flatten(v, "", m);
      return m;
    });
    const paths = [...new Set(flats.flatMap((m) => [...m.keys()]))];
    const differing = paths.filter((p) => new Set(flats.map((m) => m.get(p) ?? "\u0000absent")).size > 1);
    if (differing.length === 0) diff = `<p class="sub">The configurations are identical.</p>`;
    else {
      const shown = differing.slice(0, 200);
      const rows = shown.map(
        (p) =>
          `<tr><td><span class="key" style="color:inherit">${esc(p)}</span></td>${flats
            .map((m) => `<td class="num">${m.has(p) ? esc(m.get(p)!) : "<i>absent</i>"}</td>`)
            .join("")}</tr>`,
      );
      diff =
        `<h3>Differences</h3><table class="diff"><thead><tr><th>setting</th>${runs.map((r) => `<th class="num">${esc(r.name)}</th>`).join("")}</tr></thead>` +
        `<tbody>${rows.join("")}</tbody></table>` +
        (differing.length > shown.length ? `<p class="sub">… and ${differing.length - shown.length} more.</p>` : "");
    }
  }
  const blocks = runs.map((r, i) => `<div><h3>${esc(r.name)}</h3><pre class="json">${jsonHtml(views[i])}</pre></div>`);
  return `<h2 id="config">Configuration</h2>${diff}<div class="configs">${blocks.join("")}</div>`;
}

// --- figures ---------------------------------------------------------------------------------

interface Embedder {
  mode: "png" | "svg";
  warnings: string[];
  count: number;
  /** Every picture embedded, in page order. */
  plots: { alt: string; plot: Plot }[];
  img(plot: Plot, alt: string): string;
}

function embedder(mode: "png" | "svg", scale: number, warnings: string[]): Embedder {
  const e: Embedder = {
    mode,
    warnings,
    count: 0,
    plots: [],
    img(plot, alt) {
      let src: string;
      if (e.mode === "png") {
        try {
          src = `data:image/png;base64,${Buffer.from(toPng(plot.svg, { scale })).toString("base64")}`;
        } catch (err) {
          if (!(err instanceof FontUnavailableError)) throw err;
          e.mode = "svg";
          warnings.push(`${err.message}; pictures are embedded as SVG instead (the browser draws their text).`);
          return e.img(plot, alt);
        }
      } else {
        src = `data:image/svg+xml;base64,${Buffer.from(plot.svg, "utf8").toString("base64")}`;
      }
      e.count++;
      e.plots.push({ alt, plot });
      return `<img src="${src}" width="${plot.width}" height="${plot.height}" alt="${esc(alt)}">`;
    },
  };
  return e;
}

function figure(emb: Embedder, make: () => Plot, alt: string, caption: string): string {
  try {
    const plot = make();
    const notes = plot.notes.length > 0 ? ` ${plot.notes.map(esc).join(" ")}` : "";
    return `<figure>${emb.img(plot, alt)}<figcaption>${caption}${notes}</figcaption></figure>`;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    emb.warnings.push(`${alt}: ${msg}`);
    return `<figure><div class="error">Could not draw ${esc(alt)}: ${esc(msg)}</div></figure>`;
  }
}

function runList(runs: readonly RunData[]): string {
  return runs.length === 1 ? `run <b>${esc(runs[0]!.name)}</b>` : runs.map((r) => `<b>${esc(r.name)}</b>`).join(" and ");
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** "λ_curv = 0.1 (F) · λ_iso = 1 · seed 0": the weights that define a run, from its config. */
export function runSubtitle(config: Readonly<Record<string, unknown>>): string {
  const loss = (config["loss"] ?? {}) as Record<string, unknown>;
  const weight = (k: string): number | undefined => num((loss[k] as Record<string, unknown> | undefined)?.["weight"]);
  const parts: string[] = [];
  const curv = num(loss["curv"]) ?? 0;
  const functional = typeof loss["functional"] === "string" && loss["functional"] !== "R2" ? ` (${loss["functional"]})` : "";
  parts.push(`λ_curv = ${formatValue(curv)}${curv > 0 ? functional : ""}`);
  for (const [key, label] of [
    ["isometry", "λ_iso"],
    ["volume", "λ_vol"],
    ["conformality", "λ_conf"],
    ["isomap", "λ_isomap"],
  ] as const) {
    const w = weight(key);
    if (w !== undefined && w > 0) parts.push(`${label} = ${formatValue(w)}`);
  }
  const seed = num(config["seed"]);
  if (seed !== undefined) parts.push(`seed ${seed}`);
  return parts.join(" · ");
}

function latentSection(runs: readonly RunData[], emb: Embedder): string {
  const withLatent = runs.filter((r) => r.latent);
  if (withLatent.length === 0) return "";
  // Colourings by (kind, name), in first-seen order; a run without colourings gets a plain one.
  const groups = new Map<string, { title: string; panels: ScatterPanel[]; kind: string }>();
  for (const r of withLatent) {
    const lat = r.latent!;
    const colours: readonly (ColourBy | undefined)[] = lat.colours && lat.colours.length > 0 ? lat.colours : [undefined];
    for (const c of colours) {
      const id = c ? `${c.kind}:${c.name}` : "plain";
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { title: c ? c.name : "", panels: [], kind: c?.kind ?? "plain" }));
      const points = c
        ? { z: lat.z, colour: c, ...(lat.dim === undefined ? {} : { dim: lat.dim }) }
        : { z: lat.z, ...(lat.dim === undefined ? {} : { dim: lat.dim }) };
      const panel: ScatterPanel = { title: r.name, subtitle: runSubtitle(r.config), points };
      if (lat.torus) panel.torus = true;
      // Indicatrices on the first figure only: one set per run is enough, and the rest stay legible.
      if (lat.metric && c === colours[0]) panel.indicatrix = lat.metric;
      g.panels.push(panel);
    }
  }
  const parts = [`<h2 id="latent">Latent space</h2>`];
  for (const g of groups.values()) {
    const n = g.panels.length;
    const by = g.kind === "plain" ? "" : ` coloured by <b>${esc(g.title)}</b>`;
    const shared =
      n > 1
        ? " Panels share axes and colour scale; one latent unit is the same length on both axes."
        : " One latent unit is the same length on both axes.";
    parts.push(
      figure(
        emb,
        () => scatterPanels(g.panels, { panelSize: n <= 2 ? 420 : 340 }),
        `latent codes${g.kind === "plain" ? "" : ` by ${g.title}`}`,
        `<b>Latent codes</b>${by} (${runList(runs.filter((r) => g.panels.some((p) => p.title === r.name)))}).${shared}`,
      ),
    );
  }
  return parts.join("");
}

function fieldSection(runs: readonly RunData[], emb: Embedder): string {
  const keys: string[] = [];
  for (const r of runs) for (const f of r.fields ?? []) if (!keys.includes(f.key)) keys.push(f.key);
  if (keys.length === 0) return "";
  const parts = [`<h2 id="geometry">Geometry of the latent space</h2>`];
  for (const key of keys) {
    const def = fieldDefaults(key);
    const members = runs.flatMap((r) => (r.fields ?? []).filter((f) => f.key === key).map((f) => ({ r, f })));
    const first = members[0]!.f;
    const label = first.label ?? def.label;
    const opts: HeatmapOptions = { scale: first.scale ?? def.scale, label: def.bar, panelSize: members.length <= 2 ? 420 : 340 };
    if (first.transform !== undefined) opts.transform = first.transform;
    const panels: HeatmapPanel[] = members.map(({ r, f }) => {
      const p: HeatmapPanel = { title: r.name, subtitle: runSubtitle(r.config), grid: f };
      if (r.latent) p.overlay = { z: r.latent.z, ...(r.latent.dim === undefined ? {} : { dim: r.latent.dim }) };
      if (r.latent?.torus) p.torus = true;
      return p;
    });
    const boxOf = (f: FieldData): string =>
      `[${formatValue(f.extent[0])}, ${formatValue(f.extent[1])}] × [${formatValue(f.extent[2])}, ${formatValue(f.extent[3])}]`;
    const boxes = members.map(({ f }) => boxOf(f));
    const sameBox = boxes.every((b) => b === boxes[0]);
    // Latent scales differ between runs: each panel on its own box unless the boxes are alike.
    opts.ownAxes = !sameBox && !boxesAlike(members.map(({ f }) => f));
    const about = [def.about, first.description]
      .filter((s) => s)
      .map((s) => esc(s!))
      .join(" ");
    const where = sameBox
      ? `over the latent box ${esc(boxes[0]!)}`
      : `over each run's latent box (${members.map(({ r }, i) => `${esc(r.name)}: ${esc(boxes[i]!)}`).join("; ")})`;
    parts.push(`<h3 id="field-${anchor(key)}">${esc(label)}</h3>`);
    parts.push(
      figure(emb, () => heatmapPanels(panels, opts), label, `<b>${esc(label)}</b> on a ${first.nx} × ${first.ny} grid ${where}. ${about}`),
    );
  }
  return parts.join("");
}

/** Whether the grids' boxes overlap mostly (then one shared pair of axes serves them all). */
function boxesAlike(fields: readonly FieldData[]): boolean {
  const area = (e: readonly number[]): number => (e[1]! - e[0]!) * (e[3]! - e[2]!);
  const union = [
    Math.min(...fields.map((f) => f.extent[0])),
    Math.max(...fields.map((f) => f.extent[1])),
    Math.min(...fields.map((f) => f.extent[2])),
    Math.max(...fields.map((f) => f.extent[3])),
  ];
  return fields.every((f) => area(f.extent) >= 0.5 * area(union));
}

function curveSection(runs: readonly RunData[], emb: Embedder): string {
  const withCurves = runs.filter((r) => r.curves && r.curves.length > 0);
  if (withCurves.length === 0) return "";
  const caption =
    withCurves.length === 1
      ? `<b>Training curves</b> of ${runList(withCurves)}: every loss part against the training step (log scale where all values are positive).`
      : `<b>Training curves</b>, one panel per loss part, one colour per run (log scale where all values are positive).`;
  return (
    `<h2 id="training">Training</h2>` +
    figure(
      emb,
      () =>
        curvesPlot(
          withCurves.map((r) => ({ name: r.name, records: r.curves! })),
          { columns: 2, panelWidth: withCurves.length === 1 ? 440 : 420, panelHeight: 250 },
        ),
      "training curves",
      caption,
    )
  );
}

function notesSection(runs: readonly RunData[], warnings: readonly string[]): string {
  const items = runs.flatMap((r) => (r.notes ?? []).map((n) => `<div class="note"><b>${esc(r.name)}:</b> ${esc(n)}</div>`));
  const warn = warnings.map((w) => `<div class="note"><b>report:</b> ${esc(w)}</div>`);
  return items.length + warn.length > 0 ? `<h2 id="notes">Notes</h2>${items.join("")}${warn.join("")}` : "";
}

// ---------------------------------------------------------------------------------------------

/** The report as an HTML string (no I/O). */
export function renderReport(runs: readonly RunData[], o: ReportOptions = {}): RenderedReport {
  if (runs.length === 0) throw new UserError("report", "no runs to report on");
  const names = new Set<string>();
  for (const r of runs) {
    if (names.has(r.name)) throw new UserError("report", `run name "${r.name}" appears twice`);
    names.add(r.name);
  }
  const warnings: string[] = [];
  const emb = embedder(o.images ?? "png", o.pngScale ?? 2, warnings);
  const title = o.title ?? "ricci-gen report";
  const noise = noiseRule(runs, o.minRelativeDifference ?? 0.01);
  const when = o.generatedAt === undefined ? new Date() : o.generatedAt;
  const stamp =
    typeof when === "string"
      ? when
      : when
          .toISOString()
          .replace("T", " ")
          .replace(/\.\d+Z$/, " UTC");

  const sections = [
    `<h2 id="metrics">Metrics</h2>`,
    runs.length === 2
      ? `<p class="sub">The better value of each metric is highlighted; “change” is relative to <b>${esc(runs[0]!.name)}</b>. ${esc(noise.describe)}</p>`
      : runs.length > 2
        ? `<p class="sub">The best value of each metric is highlighted. ${esc(noise.describe)}</p>`
        : "",
    metricsTable(runs, noise),
    latentSection(runs, emb),
    fieldSection(runs, emb),
    curveSection(runs, emb),
  ];
  const rest = [configSection(runs), glossary(runs)];
  // Notes go last among the figures so that they include figure warnings.
  const notes = notesSection(runs, warnings);
  const body = [...sections, notes, ...rest].filter((s) => s).join("\n");

  const nav = [
    ["metrics", "Metrics"],
    ...(runs.some((r) => r.latent) ? [["latent", "Latent space"]] : []),
    ...(runs.some((r) => (r.fields ?? []).length > 0) ? [["geometry", "Geometry"]] : []),
    ...(runs.some((r) => (r.curves ?? []).length > 0) ? [["training", "Training"]] : []),
    ...(notes ? [["notes", "Notes"]] : []),
    ["config", "Configuration"],
    ...(metricKeys(runs).some((k) => infoFor(k, runs)) ? [["metrics-explained", "About the metrics"]] : []),
  ]
    .map(([id, label]) => `<a href="#${id}">${esc(label!)}</a>`)
    .join("");
  const header =
    `<p class="sub">${runs.length === 1 ? "Run" : `${runs.length} runs`}: ${runs.map((r) => `<code>${esc(r.name)}</code>`).join(runs.length === 2 ? " vs " : ", ")} · generated ${esc(stamp)}</p>` +
    `<nav>${nav}</nav>`;
  const footer = `${esc(o.generator ?? "ricci-gen")} · self-contained report: pictures are embedded, nothing is loaded from elsewhere.`;
  const html = renderShell({ title, headerHtml: header, bodyHtml: body, footerHtml: footer });
  return { html, images: emb.mode, warnings, figures: emb.count, plots: emb.plots };
}

export interface WrittenReport extends Omit<RenderedReport, "html" | "plots"> {
  path: string;
  bytes: number;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Render the report and write it to `outFile` (.html) atomically. Refuses to overwrite a file
 * listed in any run's `sources`, a directory, or a file that is not .html/.htm.
 */
export function writeReport(runs: readonly RunData[], outFile: string, o: ReportOptions = {}): WrittenReport {
  const ext = extname(outFile).toLowerCase();
  if (ext !== ".html" && ext !== ".htm") throw new UserError(outFile, "the report must be written to a .html file");
  if (existsSync(outFile) && statSync(outFile).isDirectory()) throw new UserError(outFile, "is a directory");
  for (const r of runs) {
    for (const s of r.sources ?? []) {
      if (samePath(s, outFile)) throw new UserError(outFile, `is an input of run "${r.name}"; refusing to overwrite it`);
    }
  }
  const { html, plots: _plots, ...rest } = renderReport(runs, o);
  const bytes = Buffer.byteLength(html, "utf8");
  writeFileAtomic(outFile, html);
  return { path: outFile, bytes, ...rest };
}
