/**
 * The training config file (`ricci-gen train config.json`): its zod schema, defaults and validation.
 * Every problem is a UserError whose `where` is the JSON path of the field (e.g. `loss.functional`),
 * with the line and column in the file when they can be found; the CLI exits with code 2 on it.
 * The format is documented field by field in docs/run-folder.md.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { canonicalJson, formatPath, jsonLocation, parseJsonText } from "../../model/schema.js";
import { UserError } from "../../util/errors.js";

const strict = <T extends z.core.$ZodLooseShape>(shape: T) => {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `the allowed keys here are ${allowed}` : undefined),
  });
};

const positive = (what: string) => z.number({ error: `${what} must be a number > 0` }).positive({ error: `${what} must be > 0` });
const nonNegative = (what: string) => z.number({ error: `${what} must be a number ≥ 0` }).min(0, { error: `${what} must be ≥ 0` });
const posInt = (what: string) =>
  z.int({ error: `${what} must be a positive integer` }).positive({ error: `${what} must be a positive integer` });

export const FUNCTIONALS = ["R2", "F", "W"] as const;
export type Functional = (typeof FUNCTIONALS)[number];
/** How the contractive terms reduce max(‖J‖_F − δ, 0) over the batch. */
export const CONTRACTIVE_REDUCTIONS = ["max", "mean"] as const;
export type ContractiveReduce = (typeof CONTRACTIVE_REDUCTIONS)[number];
export const MEASURES = ["batch", "uniform", "grid"] as const;
export type MeasureKind = (typeof MEASURES)[number];
/** Backends that run the tfjs kernels (kernels.tfjs.ts). */
export const TFJS_BACKENDS = ["cpu", "wasm", "tfjs-webgpu", "tensorflow"] as const;
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];
/** Every `backend` value: "onnx" (the compiled training-step graph in ONNX Runtime), the tfjs ones, "webgpu" (the generated WGSL kernels) and "auto" (the default: webgpu on a hardware GPU adapter, else onnx). */
export const BACKENDS = ["onnx", "cpu", "wasm", "webgpu", "auto", "tfjs-webgpu", "tensorflow"] as const;
export type BackendName = (typeof BACKENDS)[number];

const boxSchema = z
  .array(z.tuple([z.number(), z.number()]), { error: "box must be a list of [lo, hi] pairs, one per latent dimension" })
  .refine((b) => b.every(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && hi > lo), {
    error: "every [lo, hi] pair needs finite lo < hi",
  });

const contractiveSchema = (where: string) =>
  strict({
    weight: nonNegative(`${where}.weight`).default(0),
    delta: nonNegative(`${where}.delta`).default(1),
    reduce: z.enum(CONTRACTIVE_REDUCTIONS, { error: `${where}.reduce must be "max" (the research's) or "mean"` }).default("max"),
  }).prefault({});

export const trainConfigSchema = strict({
  $schema: z.string({ error: "$schema must be a string (the URL or path of the JSON Schema, for editors)" }).optional(),
  name: z.string({ error: "name is required: it names the run folder runs/<name>" }).regex(/^[A-Za-z0-9_.-]+$/, {
    error: "name must be non-empty and use only letters, digits, '.', '_' and '-' (it names the folder runs/<name>)",
  }),
  description: z.string().optional(),
  model: z.string({ error: "model is required: the path of a model.json file, relative to this config" }).min(1),
  dataset: z.record(z.string(), z.unknown(), { error: 'dataset must be an object such as {"kind": "swiss-roll", "n": 2000}' }),
  split: strict({
    test: z.number().min(0, { error: "split.test must be in [0, 0.9]" }).max(0.9, { error: "split.test must be in [0, 0.9]" }).default(0.2),
    seed: z.int().min(0).optional(),
  }).prefault({}),
  standardize: z.boolean().default(true),
  latent: strict({ torus: z.boolean().optional() }).prefault({}),
  loss: strict({
    recon: nonNegative("loss.recon").default(1),
    curv: nonNegative("loss.curv").default(0),
    functional: z.enum(FUNCTIONALS, { error: `functional must be one of ${FUNCTIONALS.join(", ")}` }).default("R2"),
    route: z.enum(["a", "b"], { error: 'route must be "a" (intrinsic, ∇³Ψ) or "b" (Gauss equation, ∇²Ψ)' }).default("b"),
    sign: z.union([z.literal(1), z.literal(-1)], { error: "sign must be 1 or -1" }).optional(),
    detEpsilon: positive("loss.detEpsilon").default(1e-6),
    uniformity: strict({
      weight: nonNegative("loss.uniformity.weight").default(0),
      moments: posInt("loss.uniformity.moments").default(4),
    }).prefault({}),
    contractive: contractiveSchema("loss.contractive"),
    decoderContractive: contractiveSchema("loss.decoderContractive"),
    inverseMetricEpsilon: nonNegative("loss.inverseMetricEpsilon").default(0),
    regularizerPoints: strict({ eta: nonNegative("loss.regularizerPoints.eta").default(0.2) }).prefault({}),
    isometry: strict({ weight: nonNegative("loss.isometry.weight").default(0) }).prefault({}),
    volume: strict({ weight: nonNegative("loss.volume.weight").default(0) }).prefault({}),
    conformality: strict({ weight: nonNegative("loss.conformality.weight").default(0) }).prefault({}),
    isomap: strict({
      weight: nonNegative("loss.isomap.weight").default(0),
      neighbours: posInt("loss.isomap.neighbours").default(10),
      landmarks: posInt("loss.isomap.landmarks").default(256),
    }).prefault({}),
  }).prefault({}),
  init: strict({
    from: z
      .string({ error: 'init.from must be the path of a run folder, e.g. "runs/swiss-roll-baseline"' })
      .min(1, { error: 'init.from must be the path of a run folder, e.g. "runs/swiss-roll-baseline"' }),
  }).optional(),
  measure: strict({
    kind: z.enum(MEASURES, { error: `measure.kind must be one of ${MEASURES.join(", ")}` }).default("batch"),
    points: posInt("measure.points").default(256),
    resolution: z.int().min(2, { error: "measure.resolution must be an integer ≥ 2" }).default(16),
    box: boxSchema.optional(),
    margin: nonNegative("measure.margin").default(0.1),
  }).prefault({}),
  potential: strict({
    hidden: z.array(posInt("potential.hidden[i]")).default([32, 32]),
    activation: z.string().default("tanh"),
    lr: positive("potential.lr").optional(),
    seed: z.int().min(0).optional(),
  }).prefault({}),
  tau: strict({ value: positive("tau.value").default(1), learn: z.boolean().default(false) }).prefault({}),
  optimizer: strict({
    kind: z.literal("adam", { error: 'optimizer.kind must be "adam"' }).default("adam"),
    lr: positive("optimizer.lr").default(1e-3),
    beta1: z.number().min(0).max(0.999999).default(0.9),
    beta2: z.number().min(0).max(0.99999999).default(0.999),
    epsilon: positive("optimizer.epsilon").default(1e-7),
  }).prefault({}),
  epochs: posInt("epochs"),
  batch: posInt("batch").default(128),
  seed: z
    .int({ error: "seed must be an integer" })
    .min(0)
    .max(2 ** 32 - 1)
    .default(0),
  backend: z.enum(BACKENDS, { error: `backend must be one of ${BACKENDS.join(", ")}` }).default("auto"),
  checkpointEvery: posInt("checkpointEvery").optional(),
  evalEvery: z.int().min(0).default(1),
  evalPoints: posInt("evalPoints").optional(),
  maxSteps: posInt("maxSteps").optional(),
  runsDir: z.string().min(1).default("runs"),
});

export type RawTrainConfig = z.input<typeof trainConfigSchema>;
type Parsed = z.output<typeof trainConfigSchema>;

/** A validated config, with paths resolved and the functional-dependent defaults filled in. */
export type TrainConfig = Omit<Parsed, "loss"> & {
  loss: Parsed["loss"] & { sign: 1 | -1 };
  /** Absolute path of the model file. */
  modelPath: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Absolute runs directory (runsDir is relative to the working directory, not to the config file). */
  runsPath: string;
  /** Absolute path of the run folder init.from names (relative to the working directory, like runsDir), or null. */
  initPath: string | null;
  /** sha256 of the canonical config JSON, without the fields that may change on --resume (epochs, maxSteps, evalEvery, checkpointEvery). */
  hash: string;
};

const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "invalid_type")
    return iss.input === undefined ? `missing: this field is required (${iss.expected})` : `expected ${iss.expected}`;
  return undefined;
};

/** Fields a resumed run may change without changing the run's identity. */
// runsDir only says where runs/<name> lies (the docs let it change: a path, not an identity); "$schema" is for editors.
const RESUMABLE = ["epochs", "maxSteps", "evalEvery", "checkpointEvery", "backend", "description", "runsDir", "$schema"];

export function configHash(raw: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(raw).filter(([k]) => !RESUMABLE.includes(k)));
  return createHash("sha256").update(canonicalJson(kept)).digest("hex");
}

/** Validate raw config JSON. `sourceText` (optional) lets errors name a line and column. */
export function parseTrainConfig(raw: unknown, opts: { baseDir: string; sourceText?: string; where?: string; cwd?: string }): TrainConfig {
  const parsed = trainConfigSchema.safeParse(raw, { error: errorMap });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let path: PropertyKey[] = [...issue.path];
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      path = [...path, issue.keys[0]!];
      message = `unknown key "${String(issue.keys[0])}": remove it or fix its spelling; ${issue.message}`;
    }
    const at = opts.sourceText ? jsonLocation(opts.sourceText, path) : null;
    const where = path.length === 0 ? (opts.where ?? "config") : formatPath(path);
    throw new UserError(where, at ? `${message} (line ${at.line}, column ${at.column})` : message);
  }
  const c = parsed.data;
  const fail = (field: string, message: string): never => {
    const path = field.split(".");
    const at = opts.sourceText ? jsonLocation(opts.sourceText, path) : null;
    throw new UserError(field, at ? `${message} (line ${at.line}, column ${at.column})` : message);
  };
  const sign = c.loss.sign ?? (c.loss.functional === "R2" ? 1 : -1);
  if (c.loss.functional === "R2" && sign === -1)
    fail("loss.sign", "sign -1 would maximise ∫R² dμ; it applies to the functionals F and W only");
  if (c.measure.box && c.measure.kind === "batch") fail("measure.box", 'a box applies to measure.kind "uniform" or "grid", not "batch"');
  if (c.loss.curv === 0 && c.loss.recon === 0) fail("loss.recon", "loss.recon and loss.curv are both 0: nothing to train");
  const resolvePath = (p: string): string => (isAbsolute(p) ? p : resolve(opts.baseDir, p));
  return {
    ...c,
    loss: { ...c.loss, sign },
    modelPath: resolvePath(c.model),
    baseDir: opts.baseDir,
    runsPath: isAbsolute(c.runsDir) ? c.runsDir : resolve(opts.cwd ?? process.cwd(), c.runsDir),
    initPath: c.init ? (isAbsolute(c.init.from) ? c.init.from : resolve(opts.cwd ?? process.cwd(), c.init.from)) : null,
    // Hashed after validation, defaults filled in: config.json (which stores them) re-hashes to the same value.
    hash: configHash({ ...c, loss: { ...c.loss, sign } }),
  };
}

function readProblem(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "no such file; check the path (examples are in examples/*.train.json)";
    case "EISDIR":
      return "is a directory; give the path of a config .json file";
    default:
      return `cannot read the file: ${(e as Error).message}`;
  }
}

/** Read and validate a config file. Relative paths in it are relative to the file's folder. */
export function loadTrainConfig(
  path: string,
  overrides: Record<string, unknown> = {},
): { config: TrainConfig; raw: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(path, readProblem(e));
  }
  const parsed = parseJsonText(text, path);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UserError(path, "the config must be a JSON object");
  const raw = { ...(parsed as Record<string, unknown>), ...overrides };
  return { config: parseTrainConfig(raw, { baseDir: dirname(resolve(path)), sourceText: text }), raw };
}
