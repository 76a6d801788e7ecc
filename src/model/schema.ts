/**
 * model.json: its raw schema (zod), its validation and its normalisation into `Model` (types.ts).
 * The format is documented in docs/model-json.md. Every problem becomes a UserError whose `where` is
 * the JSON path of the offending value (e.g. `decoder.layers[2].activation`) and whose message says
 * how to fix it, followed by the line and column in the source text when they can be found.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createRequire } from "node:module";
import type { MathNode } from "mathjs";
import { z } from "zod";
import { UserError } from "../util/errors.js";
import { canonicalJson, formatPath, jsonLocation, parseJsonText } from "./json-text.js";
import { paramLayout } from "./params.js";
import {
  NAMED_ACTIVATIONS,
  type Activation,
  type AnalyticDecoder,
  type DenseLayer,
  type Decoder,
  type Mlp,
  type Model,
  type NamedActivation,
  type WeightSource,
} from "./types.js";

type Path = readonly PropertyKey[];

/**
 * mathjs' parser, loaded on the first formula: a model of named activations never pays for mathjs,
 * and its number-only build (same parser, plain numbers) loads in half the time of the full one.
 */
let mathjsParse: ((text: string) => MathNode) | null = null;
function parseExpression(text: string): MathNode {
  mathjsParse ??= (createRequire(import.meta.url)("mathjs/number") as { parse: (text: string) => MathNode }).parse;
  return mathjsParse(text);
}

// JSON text helpers live in json-text.ts; re-exported for the modules that import them from here.
export { canonicalJson, formatPath, jsonLocation, MAX_JSON_DEPTH, parseJsonText } from "./json-text.js";

// ---------------------------------------------------------------------------------------------------
// Raw schema

/** A strict object whose unknown-key error lists the allowed keys. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `the allowed keys here are ${allowed}` : undefined),
  });
}

/** Widest layer (and largest D) accepted: the jets of one point already hold (1 + d + … ) × units numbers. */
export const MAX_UNITS = 65_536;
/** Most parameters one network (decoder or encoder) may have: 2^25 float64 values are 256 MiB. */
export const MAX_PARAMETERS = 2 ** 25;
/**
 * Constants in formulas, and their products, must lie within 10^±MAX_CONSTANT_EXPONENT: derivatives up
 * to 4th order multiply them (and exponents) together, and the results must stay finite in float64.
 */
export const MAX_CONSTANT_EXPONENT = 60;
/** Longest formula and deepest parenthesis nesting accepted (the parser and checks recurse per level). */
export const MAX_FORMULA_LENGTH = 10_000;
export const MAX_FORMULA_NESTING = 64;

const intIn = (min: number, max: number, message: string) =>
  z.int({ error: message }).min(min, { error: message }).max(max, { error: message });

const ACTIVATION_FORMS =
  `an activation name (${NAMED_ACTIVATIONS.join(", ")}), a formula in x such as "x^3/3 + x", ` + `or {"formula": "log(1 + exp(x))"}`;

const activationSchema = z.union([z.string(), strict({ formula: z.string() })], {
  error: (iss) => `${iss.input === undefined ? "missing: give" : "expected"} ${ACTIVATION_FORMS}`,
});

const layerSchema = strict({
  units: intIn(1, MAX_UNITS, `units must be an integer from 1 to ${MAX_UNITS} (the width of the layer)`),
  activation: activationSchema,
});

const layersSchema = z.array(layerSchema).min(1, {
  error: `give at least one layer, e.g. [{"units": 64, "activation": "tanh"}, ...]; the last layer's units is the network's output dimension`,
});

const mlpDecoderSchema = strict({
  type: z.literal("mlp"),
  torusEmbedding: z.boolean().default(false),
  layers: layersSchema,
});

const analyticDecoderSchema = strict({
  type: z.literal("analytic"),
  variables: z.array(z.string()),
  constants: z.record(z.string(), z.number()).default({}),
  formulas: z.array(z.string()),
});

const decoderSchema = z.discriminatedUnion("type", [mlpDecoderSchema, analyticDecoderSchema], {
  error: `decoder.type must be "mlp" (a neural network) or "analytic" (formulas in the latent variables)`,
});

const encoderSchema = strict({
  torusEmbedding: z.literal(false, { error: "the torus embedding applies to the decoder's latent input only; remove it here" }).optional(),
  layers: layersSchema,
});

const weightSpecSchema = strict({
  seed: intIn(0, 2 ** 32 - 1, "seed must be an integer from 0 to 2^32 - 1").optional(),
  values: z.array(z.number()).optional(),
  file: z.string().min(1, { error: "give a path to a JSON file, relative to the model file" }).optional(),
});

const weightsSchema = strict({
  ...weightSpecSchema.shape,
  decoder: weightSpecSchema.optional(),
  encoder: weightSpecSchema.optional(),
});

export const rawModelSchema = strict({
  $schema: z.string({ error: "$schema must be a string (the URL or path of the JSON Schema, for editors)" }).optional(),
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, {
    error: "name must be non-empty and use only letters, digits, '_' and '-' (it names the output folder generated/<name>)",
  }),
  description: z.string().optional(),
  latentDim: intIn(1, 8, "latentDim must be an integer from 1 to 8 (the latent dimension d)").default(2),
  outputDim: intIn(1, MAX_UNITS, `outputDim must be an integer from 1 to ${MAX_UNITS} (the data dimension D)`),
  decoder: decoderSchema,
  encoder: encoderSchema.optional(),
  weights: weightsSchema.optional(),
});

export type RawModel = z.input<typeof rawModelSchema>;
type ParsedModel = z.output<typeof rawModelSchema>;
type WeightSpec = z.output<typeof weightSpecSchema>;

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/** Messages for issues that the schema does not word itself. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "invalid_type") {
    return iss.input === undefined
      ? `missing: this field is required (${iss.expected})`
      : `expected ${iss.expected}, got ${describeValue(iss.input)}`;
  }
  if (iss.code === "invalid_value" && iss.values.length === 1) return `must be ${JSON.stringify(iss.values[0])}`;
  return undefined;
};

// ---------------------------------------------------------------------------------------------------
// Activations and formulas

const SMOOTHNESS = "curvature needs C³ activations (C⁴ for its gradient)";

/** Non-smooth activation names people commonly try, with a smooth replacement. */
const NON_SMOOTH_ACTIVATIONS: Record<string, string> = {
  relu: `use "softplus" (a smooth relu) instead`,
  relu6: `use "softplus" instead`,
  leaky_relu: `use "softplus" or "silu" instead`,
  leakyrelu: `use "softplus" or "silu" instead`,
  prelu: `use "softplus" or "silu" instead`,
  elu: `use "softplus" or "silu" instead`,
  selu: `use "softplus" or "silu" instead`,
  celu: `use "softplus" or "silu" instead`,
  abs: `use the formula "sqrt(x^2 + 1e-3)" instead`,
  sign: `use "tanh" instead`,
  step: `use "sigmoid" instead`,
  heaviside: `use "sigmoid" instead`,
  hardtanh: `use "tanh" instead`,
  hard_tanh: `use "tanh" instead`,
  hard_sigmoid: `use "sigmoid" instead`,
  hardsigmoid: `use "sigmoid" instead`,
  hardswish: `use "silu" instead`,
  hard_swish: `use "silu" instead`,
  max: `use "softplus", log(1 + exp(x)), for max(0, x)`,
  min: `use -log(1 + exp(-x)) for min(0, x)`,
};

/** Non-smooth functions inside formulas, with a smooth replacement where there is one. */
const NON_SMOOTH_FUNCTIONS: Record<string, string> = {
  abs: "use sqrt(x^2 + 1e-3) for a smooth |x|",
  sign: "use tanh(10*x) for a smooth sign",
  max: "use log(1 + exp(x)) (softplus) for a smooth max(0, x)",
  min: "use -log(1 + exp(-x)) for a smooth min(0, x)",
  relu: "use log(1 + exp(x)) (softplus) for a smooth relu",
  heaviside: "use 1/(1 + exp(-10*x)) for a smooth step",
  step: "use 1/(1 + exp(-10*x)) for a smooth step",
  floor: "it is piecewise constant; remove it",
  ceil: "it is piecewise constant; remove it",
  round: "it is piecewise constant; remove it",
  fix: "it is piecewise constant; remove it",
  mod: "it is discontinuous; remove it",
};

/** Functions a formula may call (all smooth where defined, all differentiable by the compiler), with their arity. */
export const FORMULA_FUNCTIONS: Record<string, number> = {
  sin: 1,
  cos: 1,
  tan: 1,
  asin: 1,
  acos: 1,
  atan: 1,
  sinh: 1,
  cosh: 1,
  tanh: 1,
  asinh: 1,
  acosh: 1,
  atanh: 1,
  exp: 1,
  log: 1,
  sqrt: 1,
  pow: 2,
};
const FUNCTION_LIST = Object.keys(FORMULA_FUNCTIONS).join(", ");
/** Named constants every formula may use. */
export const FORMULA_CONSTANTS = ["pi", "e"] as const;
const RESERVED = new Set<string>([
  ...Object.keys(FORMULA_FUNCTIONS),
  ...Object.keys(NON_SMOOTH_FUNCTIONS),
  ...FORMULA_CONSTANTS,
  "i",
  "E",
  "PI",
  "tau",
  "phi",
  "Infinity",
  "NaN",
  "true",
  "false",
  "null",
  "undefined",
]);
const OPERATORS = new Set(["add", "subtract", "multiply", "divide", "pow", "unaryMinus", "unaryPlus"]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Fail = (path: Path, message: string) => never;

/**
 * Checks that `text` parses as a mathjs expression built from numbers, `symbols`, pi, e, + - * / ^ and
 * FORMULA_FUNCTIONS only. `symbolsHint` says what the symbols are, for the error message.
 */
function checkFormula(
  text: string,
  symbols: ReadonlySet<string>,
  symbolsHint: string,
  path: Path,
  fail: Fail,
  constants: Readonly<Record<string, number>> = {},
): void {
  if (text.length > MAX_FORMULA_LENGTH)
    fail(path, `the formula is ${text.length} characters long; at most ${MAX_FORMULA_LENGTH} are accepted`);
  let depth = 0;
  for (const c of text)
    if ((depth += c === "(" ? 1 : c === ")" ? -1 : 0) > MAX_FORMULA_NESTING)
      fail(
        path,
        `${JSON.stringify(text.slice(0, 40))}…: parentheses nested deeper than ${MAX_FORMULA_NESTING} levels; simplify the formula`,
      );
  let root: MathNode;
  try {
    root = parseExpression(text);
  } catch (e) {
    fail(
      path,
      `cannot parse the formula ${JSON.stringify(text)}: ${(e as Error).message}. Use mathjs syntax, e.g. "x^3/3 + x" or "r*cos(u)*sin(v)"`,
    );
  }
  const nonSmooth = (what: string, hint: string): never =>
    fail(path, `${what} in ${JSON.stringify(text)} is not smooth: ${SMOOTHNESS}; ${hint}`);
  const visit = (node: MathNode): void => {
    const n = node as MathNode & { fn?: unknown; op?: string; args?: MathNode[]; name?: string; value?: unknown; content?: MathNode };
    switch (node.type) {
      case "ConstantNode":
        if (typeof n.value !== "number" || !Number.isFinite(n.value))
          fail(path, `${JSON.stringify(text)}: only finite numbers may appear as constants, not ${String(n.value)}`);
        return;
      case "SymbolNode":
        if (!symbols.has(n.name!) && !(FORMULA_CONSTANTS as readonly string[]).includes(n.name!))
          fail(path, `unknown symbol "${n.name}" in ${JSON.stringify(text)}: it may use only ${symbolsHint}, pi and e`);
        return;
      case "ParenthesisNode":
        return visit(n.content!);
      case "OperatorNode":
        if (n.fn === "mod") nonSmooth("the % (mod) operator", NON_SMOOTH_FUNCTIONS.mod!);
        if (!OPERATORS.has(n.fn as string))
          fail(path, `the operator "${n.op}" in ${JSON.stringify(text)} is not allowed; use + - * / ^ only`);
        return n.args!.forEach(visit);
      case "FunctionNode": {
        const name = (n.fn as MathNode).type === "SymbolNode" ? (n.fn as { name: string }).name : null;
        if (name === null) fail(path, `${JSON.stringify(text)}: call functions by name, e.g. sin(x)`);
        if (name in NON_SMOOTH_FUNCTIONS) nonSmooth(`${name}()`, NON_SMOOTH_FUNCTIONS[name]!);
        const arity = FORMULA_FUNCTIONS[name];
        if (arity === undefined)
          fail(path, `unknown function "${name}" in ${JSON.stringify(text)}; the allowed functions are ${FUNCTION_LIST} (and + - * / ^)`);
        if (n.args!.length !== arity) fail(path, `${name}() takes ${arity} argument${arity === 1 ? "" : "s"} in ${JSON.stringify(text)}`);
        return n.args!.forEach(visit);
      }
      case "ConditionalNode":
        return nonSmooth("a conditional (a ? b : c)", "write one smooth expression instead");
      default:
        fail(
          path,
          `${JSON.stringify(text)} is not a plain formula (found a ${node.type}); use numbers, ${symbolsHint}, + - * / ^ and ${FUNCTION_LIST}`,
        );
    }
  };
  visit(root);
  checkConstantRange(root, text, constants, path, fail);
}

/**
 * The magnitudes of a formula's constant parts — maximal subtrees without variables, e.g. 1e308 or
 * exp(1000), evaluated — and of the declared constants it uses must each lie within
 * 1e±MAX_CONSTANT_EXPONENT, and so must their product: mathjs folds constants while differentiating,
 * and 1e308*u*u would become 2e308 = Infinity in the first derivative.
 */
function checkConstantRange(root: MathNode, text: string, constants: Readonly<Record<string, number>>, path: Path, fail: Fail): void {
  let budget = 0;
  const isConstant = (node: MathNode): boolean => {
    let constant = true;
    node.traverse((n) => {
      // A function's name is a SymbolNode too: FunctionNodes are judged by their arguments (below).
      if (n.type === "SymbolNode" && !(FORMULA_CONSTANTS as readonly string[]).includes((n as MathNode & { name: string }).name))
        constant = false;
    });
    return constant;
  };
  const tooLarge = (what: string): never =>
    fail(
      path,
      `${what} in ${JSON.stringify(text)}: constants and their products must lie within 1e±${MAX_CONSTANT_EXPONENT} so that derivatives stay finite in float64; rescale the formula`,
    );
  const visit = (node: MathNode): void => {
    const n = node as MathNode & { name?: string; args?: MathNode[]; content?: MathNode };
    if (node.type === "SymbolNode") {
      const v = constants[n.name!];
      if (v !== undefined) budget += Math.abs(Math.log10(Math.abs(v) || 1));
      return;
    }
    const constantCall = node.type === "FunctionNode" && n.args!.every(isConstant);
    if (constantCall || (node.type !== "FunctionNode" && isConstant(node))) {
      const v = Number(node.evaluate());
      if (!Number.isFinite(v)) tooLarge(`the constant part ${node.toString()} evaluates to ${v}`);
      const e = Math.abs(Math.log10(Math.abs(v) || 1));
      if (e > MAX_CONSTANT_EXPONENT) tooLarge(`the constant ${node.toString()} (${v.toPrecision(3)})`);
      budget += e;
      return;
    }
    if (n.content) visit(n.content);
    n.args?.forEach(visit);
  };
  visit(root);
  if (budget > MAX_CONSTANT_EXPONENT) tooLarge(`the constants multiply to about 1e${Math.round(budget)}`);
}

/** A network's parameter count against MAX_PARAMETERS (the machine must hold it, with Adam's moments, several times). */
function checkParameterCount(mlp: Mlp, net: "decoder" | "encoder", fail: Fail): void {
  const size = paramLayout(mlp).size;
  if (size > MAX_PARAMETERS)
    fail(
      [net, "layers"],
      `the ${net} (${describeMlp(mlp)}) has ${size.toExponential(2)} parameters, more than the ${MAX_PARAMETERS.toExponential(2)} this tool accepts; use narrower layers`,
    );
}

const withoutSchemaKey = (raw: unknown): unknown => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || !("$schema" in raw)) return raw;
  const { $schema: _schema, ...rest } = raw as Record<string, unknown>;
  return rest;
};

const X = new Set(["x"]);

function toActivation(raw: string | { formula: string }, path: Path, fail: Fail): Activation {
  if (typeof raw !== "string") {
    checkFormula(raw.formula, X, "x", [...path, "formula"], fail);
    return { kind: "formula", formula: raw.formula.trim() };
  }
  const s = raw.trim();
  if ((NAMED_ACTIVATIONS as readonly string[]).includes(s)) return { kind: "named", name: s as NamedActivation };
  if (IDENTIFIER.test(s) && s !== "x") {
    const key = s.toLowerCase();
    if (key in NON_SMOOTH_ACTIVATIONS) fail(path, `"${s}" is not smooth: ${SMOOTHNESS}; ${NON_SMOOTH_ACTIVATIONS[key]}`);
    const close = NAMED_ACTIVATIONS.find((a) => a === key);
    fail(
      path,
      `unknown activation "${s}"${close ? ` (did you mean "${close}"?)` : ""}; known activations: ` +
        `${NAMED_ACTIVATIONS.join(", ")}; or give a formula in x, e.g. "x^3/3 + x" or {"formula": "log(1 + exp(x))"}`,
    );
  }
  checkFormula(s, X, "x", path, fail);
  return { kind: "formula", formula: s };
}

function toLayers(layers: z.output<typeof layersSchema>, path: Path, fail: Fail): DenseLayer[] {
  return layers.map((l, i) => ({ units: l.units, activation: toActivation(l.activation, [...path, i, "activation"], fail) }));
}

function checkOutputUnits(mlp: Mlp, expected: number, what: string, path: Path, fail: Fail): void {
  const last = mlp.layers.length - 1;
  const units = mlp.layers[last]!.units;
  if (units !== expected)
    fail(
      [...path, "layers", last, "units"],
      `the last ${what} layer has ${units} units but must have ${expected} (${what === "decoder" ? "outputDim D" : "latentDim d"}): the ${what} maps R^${mlp.inputDim} → R^${expected}; set units to ${expected}`,
    );
}

function toAnalytic(
  dec: Extract<ParsedModel["decoder"], { type: "analytic" }>,
  latentDim: number,
  outputDim: number,
  fail: Fail,
): AnalyticDecoder {
  const seen = new Set<string>();
  const checkName = (name: string, path: Path, kind: string) => {
    if (!IDENTIFIER.test(name))
      fail(path, `${kind} name ${JSON.stringify(name)} must be an identifier (letters, digits, '_'; not starting with a digit)`);
    if (RESERVED.has(name)) fail(path, `${kind} name "${name}" is reserved (a function or constant of the formula language); rename it`);
    if (seen.has(name)) fail(path, `${kind} name "${name}" is declared twice; names of variables and constants must be distinct`);
    seen.add(name);
  };
  dec.variables.forEach((v, i) => checkName(v, ["decoder", "variables", i], "variable"));
  if (dec.variables.length !== latentDim)
    fail(
      ["decoder", "variables"],
      `${dec.variables.length} variables declared but latentDim is ${latentDim}: declare exactly one variable per latent dimension`,
    );
  for (const c of Object.keys(dec.constants)) checkName(c, ["decoder", "constants", c], "constant");
  if (dec.formulas.length !== outputDim)
    fail(
      ["decoder", "formulas"],
      `${dec.formulas.length} formulas given but outputDim is ${outputDim}: give exactly one formula per output coordinate`,
    );
  const hint = `the variables (${dec.variables.join(", ")})${Object.keys(dec.constants).length ? ` and constants (${Object.keys(dec.constants).join(", ")})` : ""}`;
  for (const [c, v] of Object.entries(dec.constants))
    if (!(Math.abs(Math.log10(Math.abs(v) || 1)) <= MAX_CONSTANT_EXPONENT))
      fail(
        ["decoder", "constants", c],
        `${v} is out of range: constants must lie within 1e±${MAX_CONSTANT_EXPONENT} (or be 0) so that derivatives stay finite; rescale the formulas`,
      );
  dec.formulas.forEach((f, i) => checkFormula(f, seen, hint, ["decoder", "formulas", i], fail, dec.constants));
  return { type: "analytic", variables: dec.variables, constants: dec.constants, formulas: dec.formulas.map((f) => f.trim()) };
}

// ---------------------------------------------------------------------------------------------------
// Weights

function describeMlp(mlp: Mlp): string {
  const dims = [mlp.inputDim, ...mlp.layers.map((l) => l.units)].join("→");
  return mlp.torusEmbedding ? `${dims}, torus embedding: ${2 * mlp.inputDim} inputs` : dims;
}

function checkedValues(values: unknown, net: "decoder" | "encoder", mlp: Mlp | null, path: Path, fail: Fail, file?: string): WeightSource {
  const inFile = file ? ` (in ${file})` : "";
  if (!Array.isArray(values) || !values.every((v) => typeof v === "number" && Number.isFinite(v)))
    fail(path, `the ${net} weights${inFile} must be an array of finite numbers`);
  if (mlp === null)
    fail(
      path,
      net === "encoder"
        ? `${net} weights given${inFile} but the model has no encoder: remove them or add an "encoder"`
        : `the analytic decoder has no parameters: remove the decoder weights${inFile}`,
    );
  const size = paramLayout(mlp).size;
  if (values.length !== size)
    fail(
      path,
      `expected ${size} numbers for the ${net} (${describeMlp(mlp)}) but got ${values.length}${inFile}: ` +
        `give them flat in ParamLayout order, for each layer W (units × fanIn, row-major) then b`,
    );
  return { kind: "values", values: Float64Array.from(values as number[]) };
}

function readWeightsFile(file: string, baseDir: string, path: Path, fail: Fail): unknown {
  const abs = resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    fail(
      path,
      `cannot read the weights file ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); paths are relative to the model file`,
    );
  }
  try {
    return parseJsonText(text, formatPath(path));
  } catch (e) {
    if (e instanceof UserError) fail(path, `${abs}: ${e.message.slice(e.where.length + 2)}`);
    throw e;
  }
}

/** The weights a file gives: an array (for `net`, or the decoder at the top level) or {"decoder": [...], "encoder": [...]}. */
function weightsFromFile(
  content: unknown,
  file: string,
  net: "decoder" | "encoder" | "both",
  path: Path,
  fail: Fail,
): Partial<Record<"decoder" | "encoder", unknown>> {
  if (Array.isArray(content)) return { [net === "both" ? "decoder" : net]: content };
  if (content !== null && typeof content === "object") {
    const unknownKey = Object.keys(content).find((k) => k !== "decoder" && k !== "encoder");
    if (unknownKey !== undefined)
      fail(
        path,
        `unknown key "${unknownKey}" in ${file}: a weights file holds an array of numbers or {"decoder": [...], "encoder": [...]}`,
      );
    const c = content as Record<"decoder" | "encoder", unknown>;
    if (net === "both") return c;
    if (c[net] !== undefined) return { [net]: c[net] };
    fail(path, `${file} has no "${net}" array`);
  }
  fail(path, `${file} must hold an array of numbers or {"decoder": [...], "encoder": [...]}`);
}

const SPEC_KEYS = ["seed", "values", "file"] as const;
const WEIGHT_FORMS = `{"seed": n}, {"values": [...]}, {"file": "weights.json"}, or {"decoder": {...}, "encoder": {...}} with one of those each`;

function resolveWeights(
  weights: ParsedModel["weights"],
  decoder: Mlp | null,
  encoder: Mlp | null,
  baseDir: string,
  fail: Fail,
): { decoderWeights: WeightSource; encoderWeights: WeightSource } {
  const nets = { decoder, encoder };
  const singleKey = (spec: WeightSpec, path: Path) => {
    const keys = SPEC_KEYS.filter((k) => spec[k] !== undefined);
    if (keys.length !== 1) fail(path, `give exactly one of "seed", "values" or "file"${keys.length ? ` (got ${keys.join(", ")})` : ""}`);
    return keys[0]!;
  };
  const fromSpec = (spec: WeightSpec, net: "decoder" | "encoder", path: Path): WeightSource => {
    const key = singleKey(spec, path);
    if (key === "seed") return { kind: "seed", seed: spec.seed! };
    if (key === "values") return checkedValues(spec.values, net, nets[net], [...path, "values"], fail);
    const content = readWeightsFile(spec.file!, baseDir, [...path, "file"], fail);
    const got = weightsFromFile(content, spec.file!, net, [...path, "file"], fail);
    return checkedValues(got[net], net, nets[net], [...path, "file"], fail, spec.file);
  };

  if (weights === undefined) return { decoderWeights: { kind: "seed", seed: 0 }, encoderWeights: { kind: "seed", seed: 1 } };
  const perNetwork = weights.decoder !== undefined || weights.encoder !== undefined;
  if (!perNetwork) {
    const key = singleKey(weights, ["weights"]);
    if (key === "seed")
      return { decoderWeights: { kind: "seed", seed: weights.seed! }, encoderWeights: { kind: "seed", seed: weights.seed! + 1 } };
    if (key === "values")
      return {
        decoderWeights: checkedValues(weights.values, "decoder", decoder, ["weights", "values"], fail),
        encoderWeights: { kind: "seed", seed: 1 },
      };
    const path = ["weights", "file"];
    const got = weightsFromFile(readWeightsFile(weights.file!, baseDir, path, fail), weights.file!, "both", path, fail);
    return {
      decoderWeights:
        got.decoder === undefined ? { kind: "seed", seed: 0 } : checkedValues(got.decoder, "decoder", decoder, path, fail, weights.file),
      encoderWeights:
        got.encoder === undefined ? { kind: "seed", seed: 1 } : checkedValues(got.encoder, "encoder", encoder, path, fail, weights.file),
    };
  }
  const extra = SPEC_KEYS.find((k) => weights[k] !== undefined);
  if (extra !== undefined)
    fail(
      ["weights", extra],
      `use either "${extra}" for the whole model or per-network "decoder"/"encoder" entries, not both; the forms are ${WEIGHT_FORMS}`,
    );
  if (weights.encoder !== undefined && encoder === null)
    fail(["weights", "encoder"], `encoder weights given but the model has no encoder: remove them or add an "encoder"`);
  return {
    decoderWeights: weights.decoder ? fromSpec(weights.decoder, "decoder", ["weights", "decoder"]) : { kind: "seed", seed: 0 },
    encoderWeights: weights.encoder ? fromSpec(weights.encoder, "encoder", ["weights", "encoder"]) : { kind: "seed", seed: 1 },
  };
}

// ---------------------------------------------------------------------------------------------------
// parseModel

/**
 * Validates raw model.json content and normalises it. `baseDir` resolves weights files; `sourceText`
 * (the file's text, or "" if there is none) lets errors give a line and column.
 */
export function parseModel(raw: unknown, opts: { baseDir: string; sourceText: string }): Model {
  const fail: Fail = (path, message) => {
    const at = opts.sourceText ? jsonLocation(opts.sourceText, path) : null;
    throw new UserError(formatPath(path), at ? `${message} (line ${at.line}, column ${at.column})` : message);
  };

  const parsed = rawModelSchema.safeParse(raw, { error: errorMap });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const key = issue.keys[0]!;
      fail([...issue.path, key], `unknown key "${key}": remove it or fix its spelling; ${issue.message}`);
    }
    fail(issue.path, issue.message);
  }
  const m = parsed.data;

  let decoder: Decoder;
  let decoderMlp: Mlp | null = null;
  if (m.decoder.type === "mlp") {
    decoderMlp = {
      inputDim: m.latentDim,
      torusEmbedding: m.decoder.torusEmbedding,
      layers: toLayers(m.decoder.layers, ["decoder", "layers"], fail),
    };
    checkOutputUnits(decoderMlp, m.outputDim, "decoder", ["decoder"], fail);
    checkParameterCount(decoderMlp, "decoder", fail);
    decoder = { type: "mlp", ...decoderMlp };
  } else {
    decoder = toAnalytic(m.decoder, m.latentDim, m.outputDim, fail);
  }

  let encoder: Mlp | null = null;
  if (m.encoder) {
    encoder = { inputDim: m.outputDim, torusEmbedding: false, layers: toLayers(m.encoder.layers, ["encoder", "layers"], fail) };
    checkOutputUnits(encoder, m.latentDim, "encoder", ["encoder"], fail);
    checkParameterCount(encoder, "encoder", fail);
  }

  const { decoderWeights, encoderWeights } = resolveWeights(m.weights, decoderMlp, encoder, opts.baseDir, fail);
  return {
    name: m.name,
    latentDim: m.latentDim,
    outputDim: m.outputDim,
    decoder,
    decoderWeights,
    encoder,
    encoderWeights,
    // "$schema" only serves editors: adding it does not change the model.
    sourceHash: createHash("sha256")
      .update(canonicalJson(withoutSchemaKey(raw)))
      .digest("hex"),
  };
}
