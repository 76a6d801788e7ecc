/**
 * Decoder programs: how a model's jets are computed, as a list of stages over jet matrices
 * (columns × width). Dense layers stay symbolic-free loops over the weights; only the
 * per-unit elementwise rules (activations, the torus embedding) and analytic decoders are scalar
 * blocks. Emitters print the stages; the IR knows nothing of them.
 */
import { activationDerivatives } from "../rules/activations.js";
import { analyticDerivatives } from "../rules/analytic.js";
import { paramLayout, type LayerSlice } from "../model/params.js";
import type { Activation, Model } from "../model/types.js";
import { fromFormula, type Output, type ScalarBlock } from "./block.js";
import { Builder } from "./graph.js";
import { columnKey, composeJet, coordinateJet, jetColumns, type MultiIndex } from "./jets.js";

export type Stage =
  /** The latent point's own jet (value z_i, ∂_i z_i = 1): inputs to a plain MLP. */
  | { kind: "coordinates"; width: number }
  /** (cos z, sin z): block inputs z0…; outputs e{u}_{c} for u < 2d (all cos first). */
  | { kind: "torus-embedding"; width: number; block: ScalarBlock }
  | { kind: "dense"; layer: LayerSlice; index: number }
  /** Per unit: inputs a0…a{C−1} (the pre-activation jet), outputs y0…y{C−1}. */
  | { kind: "activation"; width: number; activation: string; block: ScalarBlock; identity: boolean }
  /** Analytic decoder: inputs z0…; outputs p{k}_{c} for output k and column c. */
  | { kind: "analytic"; width: number; block: ScalarBlock };

export interface DecoderProgram {
  latentDim: number;
  outputDim: number;
  /** Highest derivative order carried. */
  order: number;
  columns: MultiIndex[];
  stages: Stage[];
  /** Flat parameter count (0 for analytic decoders). */
  paramCount: number;
}

export const activationLabel = (a: Activation): string => (a.kind === "named" ? a.name : `formula(${a.formula})`);

function activationBlock(a: Activation, columns: MultiIndex[]): ScalarBlock {
  const b = new Builder();
  const inputs = columns.map((_, c) => `a${c}`);
  const jet = inputs.map((name) => b.input(name));
  const order = columns[columns.length - 1]!.length;
  const sigma = activationDerivatives(a, order).map((f) => fromFormula(b, f, { x: jet[0]! }));
  const y = composeJet(b, columns, jet, sigma);
  return { b, inputs, outputs: y.map((node, c) => ({ name: `y${c}`, node })) };
}

function torusBlock(d: number, columns: MultiIndex[]): ScalarBlock {
  const b = new Builder();
  const inputs = Array.from({ length: d }, (_, i) => `z${i}`);
  const order = columns[columns.length - 1]!.length;
  const outputs: Output[] = [];
  for (const fn of ["cos", "sin"] as const) {
    for (let i = 0; i < d; i++) {
      const z = b.input(`z${i}`);
      const c = b.unary("cos", z);
      const s = b.unary("sin", z);
      // Successive derivatives cycle with period 4: cos, −sin, −cos, sin and sin, cos, −sin, −cos.
      const cycle = fn === "cos" ? [c, b.neg(s), b.neg(c), s] : [s, c, b.neg(s), b.neg(c)];
      const sigma = Array.from({ length: order + 1 }, (_, k) => cycle[k % 4]!);
      const u = fn === "cos" ? i : d + i;
      composeJet(b, columns, coordinateJet(b, columns, i, z), sigma).forEach((node, col) =>
        outputs.push({ name: `e${u}_${col}`, node, index: { unit: u, column: col } }),
      );
    }
  }
  return { b, inputs, outputs };
}

function analyticBlock(model: Model, columns: MultiIndex[]): ScalarBlock {
  if (model.decoder.type !== "analytic") throw new Error("not an analytic decoder");
  const decoder = model.decoder;
  const b = new Builder();
  const inputs = decoder.variables.map((_, i) => `z${i}`);
  const vars = Object.fromEntries(decoder.variables.map((v, i) => [v, b.input(`z${i}`)]));
  const outputs = analyticDerivatives(decoder, columns).flatMap((byColumn, k) =>
    columns.map((alpha, c) => ({
      name: `p${k}_${c}`,
      node: fromFormula(b, byColumn.get(columnKey(alpha))!, vars),
      index: { unit: k, column: c },
    })),
  );
  return { b, inputs, outputs };
}

const programs = new WeakMap<Model, Map<number, DecoderProgram>>();

/** The stages computing Ψ and its derivatives up to `order` at one latent point (memoised per model and order). */
export function decoderProgram(model: Model, order: number): DecoderProgram {
  let byOrder = programs.get(model);
  if (!byOrder) programs.set(model, (byOrder = new Map()));
  let program = byOrder.get(order);
  if (!program) byOrder.set(order, (program = buildDecoderProgram(model, order)));
  return program;
}

function buildDecoderProgram(model: Model, order: number): DecoderProgram {
  const d = model.latentDim;
  const columns = jetColumns(d, order);
  const base = { latentDim: d, outputDim: model.outputDim, order, columns };
  if (model.decoder.type === "analytic") {
    return { ...base, paramCount: 0, stages: [{ kind: "analytic", width: model.outputDim, block: analyticBlock(model, columns) }] };
  }
  const mlp = model.decoder;
  const layout = paramLayout(mlp);
  const stages: Stage[] = [
    mlp.torusEmbedding ? { kind: "torus-embedding", width: 2 * d, block: torusBlock(d, columns) } : { kind: "coordinates", width: d },
  ];
  mlp.layers.forEach((layer, index) => {
    stages.push({ kind: "dense", layer: layout.layers[index]!, index });
    const identity = layer.activation.kind === "named" && layer.activation.name === "linear";
    stages.push({
      kind: "activation",
      width: layer.units,
      activation: activationLabel(layer.activation),
      block: activationBlock(layer.activation, columns),
      identity,
    });
  });
  return { ...base, paramCount: layout.size, stages };
}
