/**
 * `loadDataset(spec)`: the dataset named by a config's `dataset` object, with every field checked
 * and reported by its path (e.g. `dataset.n`) when wrong.
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../../util/errors.js";
import { loadCsv } from "./csv.js";
import type { Dataset } from "./dataset.js";
import { loadMnist, mnistFiles } from "./mnist.js";
import { loadNpy } from "./npy.js";
import { gaussians, swissRoll } from "./synthetic.js";

export * from "./dataset.js";
export { readIdx, loadMnist, mnistFiles, type IdxArray, type MnistOptions } from "./mnist.js";
export { loadCsv, type CsvOptions } from "./csv.js";
export { readNpy, loadNpy, type NpyArray, type NpyOptions } from "./npy.js";
export {
  swissRoll,
  gaussians,
  randomPlane,
  type SwissRollOptions,
  type GaussiansOptions,
  type GaussianPlane,
} from "./synthetic.js";

export type DatasetSpec =
  | { kind: "swiss-roll"; n?: number; noise?: number; seed?: number }
  | { kind: "gaussians"; k?: number; D?: number; n?: number; shift?: number; seed?: number }
  | {
      kind: "mnist";
      /** Directory holding the standard file names, with `split`; or explicit `images` + `labels`. */
      dir?: string;
      split?: "train" | "test";
      images?: string;
      labels?: string;
      digits?: number[];
      n?: number;
    }
  | { kind: "csv"; path: string; header?: boolean | "auto"; label?: string | number; delimiter?: string; n?: number }
  | { kind: "npy"; path: string; labels?: string; n?: number };

export type DatasetKind = DatasetSpec["kind"];

const FIELDS: Record<DatasetKind, readonly string[]> = {
  "swiss-roll": ["n", "noise", "seed"],
  gaussians: ["k", "D", "n", "shift", "seed"],
  mnist: ["dir", "split", "images", "labels", "digits", "n"],
  csv: ["path", "header", "label", "delimiter", "n"],
  npy: ["path", "labels", "n"],
};

/** Typed reads of one spec object's fields, each error naming `where.field`. */
class Fields {
  constructor(
    private readonly o: Record<string, unknown>,
    private readonly where: string,
  ) {}

  fail(key: string, message: string): never {
    throw new UserError(`${this.where}.${key}`, message);
  }

  has(key: string): boolean {
    return this.o[key] !== undefined;
  }

  num(key: string, def: number, { min = -Infinity, int = false, positive = false } = {}): number {
    const v = this.o[key] ?? def;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      this.fail(key, `must be a finite number, got ${JSON.stringify(v)}`);
    }
    if (int && !Number.isSafeInteger(v)) this.fail(key, `must be an integer, got ${v}`);
    if (positive && v <= 0) this.fail(key, `must be > 0, got ${v}`);
    if (v < min) this.fail(key, `must be ≥ ${min}, got ${v}`);
    return v;
  }

  /** An optional positive integer (row limits). */
  count(key: string): number | undefined {
    return this.has(key) ? this.num(key, 0, { int: true, positive: true }) : undefined;
  }

  str(key: string): string | undefined {
    const v = this.o[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") this.fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  path(key: string, baseDir: string): string | undefined {
    const p = this.str(key);
    return p === undefined ? undefined : isAbsolute(p) ? p : resolve(baseDir, p);
  }

  requiredPath(key: string, baseDir: string): string {
    return this.path(key, baseDir) ?? this.fail(key, "is required");
  }

  get(key: string): unknown {
    return this.o[key];
  }
}

export interface LoadOptions {
  /** Where the spec sits in the config, for error messages (default "dataset"). */
  where?: string;
  /** Directory relative paths are resolved against (default: the working directory). */
  baseDir?: string;
}

/** Validates `spec` (typically parsed JSON) and loads the dataset it names. */
export function loadDataset(
  spec: unknown,
  { where = "dataset", baseDir = process.cwd() }: LoadOptions = {},
): Dataset {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new UserError(where, `must be an object with a "kind" field, got ${JSON.stringify(spec)}`);
  }
  const o = spec as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== "string" || !(kind in FIELDS)) {
    const kinds = Object.keys(FIELDS).join(", ");
    throw new UserError(`${where}.kind`, `must be one of ${kinds}; got ${JSON.stringify(kind)}`);
  }
  const allowed = FIELDS[kind as DatasetKind];
  for (const key of Object.keys(o)) {
    if (key !== "kind" && !allowed.includes(key)) {
      throw new UserError(`${where}.${key}`, `unknown field for kind "${kind}" (allowed: ${allowed.join(", ")})`);
    }
  }
  const f: Fields = new Fields(o, where);
  switch (kind as DatasetKind) {
    case "swiss-roll":
      return swissRoll({
        n: f.num("n", 18000, { int: true, positive: true }),
        noise: f.num("noise", 1e-6, { min: 0 }),
        seed: f.num("seed", 0, { int: true }),
      });
    case "gaussians":
      return gaussians({
        k: f.num("k", 3, { int: true, positive: true }),
        D: f.num("D", 784, { int: true, min: 2 }),
        n: f.num("n", 1000, { int: true, positive: true }),
        shift: f.num("shift", 0, { min: 0 }),
        seed: f.num("seed", 0, { int: true }),
      });
    case "mnist": {
      const digitsRaw = f.get("digits");
      let digits: number[] | undefined;
      if (digitsRaw !== undefined) {
        if (
          !Array.isArray(digitsRaw) ||
          digitsRaw.length === 0 ||
          !digitsRaw.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)
        ) {
          f.fail("digits", `must be a non-empty list of digits 0–9, got ${JSON.stringify(digitsRaw)}`);
        }
        digits = digitsRaw as number[];
      }
      const split = f.get("split") ?? "train";
      if (split !== "train" && split !== "test") {
        f.fail("split", `must be "train" or "test", got ${JSON.stringify(split)}`);
      }
      const dir = f.path("dir", baseDir);
      let files: { images: string; labels: string };
      if (dir !== undefined) {
        if (f.has("images") || f.has("labels")) {
          f.fail("dir", "give either dir (with split) or images and labels, not both");
        }
        files = mnistFiles(dir, split);
      } else {
        if (f.has("split")) f.fail("split", "only applies with dir");
        const images = f.path("images", baseDir);
        const labels = f.path("labels", baseDir);
        if (images === undefined && labels === undefined) f.fail("dir", "is required (or images and labels)");
        files = {
          images: images ?? f.fail("images", "is required"),
          labels: labels ?? f.fail("labels", "is required"),
        };
      }
      const n = f.count("n");
      return loadMnist({ ...files, ...(digits ? { digits } : {}), ...(n !== undefined ? { n } : {}) });
    }
    case "csv": {
      const header = f.get("header") ?? "auto";
      if (header !== true && header !== false && header !== "auto") {
        f.fail("header", `must be true, false or "auto", got ${JSON.stringify(header)}`);
      }
      const label = f.get("label");
      const validLabel =
        (typeof label === "string" && label !== "") || (Number.isInteger(label) && (label as number) >= 0);
      if (label !== undefined && !validLabel) {
        f.fail("label", `must be a column name or a 0-based column index, got ${JSON.stringify(label)}`);
      }
      const delimiter = f.str("delimiter");
      const n = f.count("n");
      return loadCsv({
        path: f.requiredPath("path", baseDir),
        header,
        ...(label !== undefined ? { label: label as string | number } : {}),
        ...(delimiter !== undefined ? { delimiter } : {}),
        ...(n !== undefined ? { n } : {}),
      });
    }
    case "npy": {
      const labels = f.path("labels", baseDir);
      const n = f.count("n");
      return loadNpy({
        path: f.requiredPath("path", baseDir),
        ...(labels !== undefined ? { labels } : {}),
        ...(n !== undefined ? { n } : {}),
      });
    }
  }
}
