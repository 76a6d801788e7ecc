/** Numeric CSV: optional header row, optional integer label column, one sample per line. */
import { basename, extname } from "node:path";
import { UserError } from "../../util/errors.js";
import type { Dataset } from "./dataset.js";
import { readBytes } from "./files.js";

export interface CsvOptions {
  path: string;
  /** Whether the first row names the columns; "auto" (default): when any of its fields is not a number. */
  header?: boolean | "auto";
  /** Label column: its header name, or its 0-based index. Its values must be integers. */
  label?: string | number;
  /** Field separator; default "\t" for .tsv files, "," otherwise. */
  delimiter?: string;
  /** Keep the first n rows. */
  n?: number;
}

/** The value of a numeric field (nan/inf spelled out included, so they can be reported as such), else null. */
function parseField(s: string): number | null {
  if (s === "") return null;
  const v = Number(s);
  if (!Number.isNaN(v)) return v;
  const m = /^([+-]?)(nan|inf|infinity)$/i.exec(s);
  if (!m) return null;
  return m[2]!.toLowerCase() === "nan" ? NaN : m[1] === "-" ? -Infinity : Infinity;
}

const unquote = (s: string): string => {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
};

export function loadCsv({ path, header = "auto", label, delimiter, n }: CsvOptions): Dataset {
  const sep = delimiter ?? (extname(path).toLowerCase() === ".tsv" ? "\t" : ",");
  const lines = readBytes(path)
    .toString("utf8")
    .split(/\r?\n/)
    .map((text, i) => ({ line: i + 1, text }))
    .filter(({ text }) => text.trim() !== "" && !text.trimStart().startsWith("#"));
  if (lines.length === 0) throw new UserError(path, "no data rows");
  const first = lines[0]!.text.split(sep).map(unquote);
  const hasHeader = header === "auto" ? first.some((f) => parseField(f) === null) : header;
  const names = hasHeader ? first : first.map((_, j) => `column ${j}`);
  const width = names.length;
  let labelCol = -1;
  if (typeof label === "string") {
    if (!hasHeader) throw new UserError(path, `label column "${label}" given by name, but the file has no header row`);
    labelCol = names.indexOf(label);
    if (labelCol < 0) throw new UserError(path, `no column "${label}" (columns: ${names.join(", ")})`);
  } else if (label !== undefined) {
    if (!Number.isInteger(label) || label < 0 || label >= width) {
      throw new UserError(path, `label column index ${label} out of range 0..${width - 1}`);
    }
    labelCol = label;
  }
  const rows = lines.slice(hasHeader ? 1 : 0, n === undefined ? undefined : (hasHeader ? 1 : 0) + n);
  if (rows.length === 0) throw new UserError(path, "a header but no data rows");
  const dim = width - (labelCol >= 0 ? 1 : 0);
  if (dim === 0) throw new UserError(path, "no feature columns besides the label");
  const x = new Float64Array(rows.length * dim);
  const labels = labelCol >= 0 ? new Int32Array(rows.length) : undefined;
  rows.forEach(({ line, text }, i) => {
    const fields = text.split(sep).map(unquote);
    if (fields.length !== width) {
      throw new UserError(`${path}:${line}`, `${fields.length} fields, expected ${width}`);
    }
    let j = 0;
    fields.forEach((f, c) => {
      const v = parseField(f);
      if (v === null || !Number.isFinite(v)) {
        const what = v === null ? `"${f}" is not a number` : `${v}`;
        throw new UserError(`${path}:${line}`, `column ${c} ("${names[c]}"): ${what}`);
      }
      if (c !== labelCol) x[i * dim + j++] = v;
      else if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) {
        throw new UserError(`${path}:${line}`, `label "${f}" is not an integer`);
      } else labels![i] = v;
    });
  });
  const ds: Dataset = { name: basename(path), x, n: rows.length, dim };
  if (labels) ds.labels = labels;
  return ds;
}
