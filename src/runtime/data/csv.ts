/**
 * Numeric CSV/TSV: optional header row, optional integer label column, one sample per record.
 * Parsed by csv-parse (RFC 4180: quoted fields, doubled quotes, delimiters and line breaks inside
 * quotes, CRLF, a byte-order mark); lines starting with # are comments, blank lines are skipped,
 * fields are trimmed. Every error names the file and line.
 */
import { basename, extname } from "node:path";
import { CsvError, parse } from "csv-parse/sync";
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

interface Row {
  line: number;
  fields: string[];
}

function readRows(path: string, delimiter: string): Row[] {
  const text = readBytes(path).toString("utf8");
  try {
    const records = parse(text, {
      delimiter,
      bom: true,
      // Files edited on several systems mix line endings; the default guesses one from the first line.
      record_delimiter: ["\r\n", "\n", "\r"],
      comment: "#",
      comment_no_infix: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ line: info.lines, fields: record }));
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e["lines"] === "number" ? `:${e["lines"]}` : "";
      throw new UserError(`${path}${line}`, `not valid CSV: ${e.message.replace(/^Invalid \w+: /, "")}`);
    }
    throw e;
  }
}

function labelColumn(path: string, label: string | number | undefined, names: readonly string[], hasHeader: boolean): number {
  if (typeof label === "string") {
    if (!hasHeader) throw new UserError(path, `label column "${label}" given by name, but the file has no header row`);
    const c = names.indexOf(label);
    if (c < 0) throw new UserError(path, `no column "${label}" (columns: ${names.join(", ")})`);
    return c;
  }
  if (label === undefined) return -1;
  if (!Number.isInteger(label) || label < 0 || label >= names.length) {
    throw new UserError(path, `label column index ${label} out of range 0..${names.length - 1}`);
  }
  return label;
}

export function loadCsv({ path, header = "auto", label, delimiter, n }: CsvOptions): Dataset {
  const sep = delimiter ?? (extname(path).toLowerCase() === ".tsv" ? "\t" : ",");
  const all = readRows(path, sep);
  if (all.length === 0) throw new UserError(path, "no data rows");
  const first = all[0]!.fields;
  const hasHeader = header === "auto" ? first.some((f) => parseField(f) === null) : header;
  const names = hasHeader ? first : first.map((_, j) => `column ${j}`);
  const width = names.length;
  const labelCol = labelColumn(path, label, names, hasHeader);
  const skip = hasHeader ? 1 : 0;
  const rows = all.slice(skip, n === undefined ? undefined : skip + n);
  if (rows.length === 0) throw new UserError(path, "a header but no data rows");
  const dim = width - (labelCol >= 0 ? 1 : 0);
  if (dim === 0) throw new UserError(path, "no feature columns besides the label");
  const x = new Float64Array(rows.length * dim);
  const labels = labelCol >= 0 ? new Int32Array(rows.length) : undefined;
  rows.forEach(({ line, fields }, i) => {
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
