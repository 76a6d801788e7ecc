/**
 * TensorFlow.js target: a differentiable, batched module of the same kernels, `kernels.tfjs.ts`.
 *
 * Where the float64 TypeScript target loops over points, this one works on whole batches: a jet is a
 * list of C column tensors [n, width] (one per multi-index, graded order), a dense layer pushes all C
 * columns through one matMul ([C·n, fanIn] × Wᵀ), and every node of an activation or assembly block
 * becomes one elementwise tf op on [n, units] (or [n]) tensors. Gram entries ⟨∂^αΨ, ∂^βΨ⟩ come from
 * one batched matMul of the stacked columns. The result is an explicit closed-form forward pass, so
 * tfjs autograd differentiates it once (with respect to the weights) with no nested tf.grad.
 *
 * The module imports only the *type* of tfjs: every function takes the `tf` namespace as its first
 * argument, so the same text runs on whichever tfjs build and backend (cpu, wasm, webgpu, tensorflow)
 * the caller loaded, and it can be imported from a data: URL (see runtime/train/tfjs-kernels.ts).
 *
 * Kernel API (per kernel K, with `params` a flat Tensor1D in ParamLayout order or `weights(tf, params)`):
 *   K(tf, params, z[, metricShift])        → { field: Tensor [n, …shape] }
 *   KFromJets(tf, P[, metricShift])        → the same from jets P = decoderJets(tf, params, z, order)
 * `metricShift` ([n], optional) is added to the diagonal metric Gram entries g_ii before assembly:
 * the trainer uses it to keep degenerate points (det g ≤ ε, excluded from its losses) finite.
 */
import { Project, StructureKind, VariableDeclarationKind, type FunctionDeclarationStructure, type OptionalKind } from "ts-morph";
import type { ScalarBlock } from "../ir/block.js";
import type { Kernel } from "../ir/kernels.js";
import type { DecoderProgram } from "../ir/program.js";
import { printBlock, type Dialect } from "./printer.js";

const literal = (v: number): string => {
  const s = Number.isInteger(v) ? v.toFixed(1) : String(v);
  return v < 0 ? `(${s})` : s;
};

export const tfjsDialect: Dialect = {
  literal,
  call: (fn, arg) => `tf.${fn}(${arg})`,
  pow: (a, b) => `tf.pow(${a}, ${b})`,
  declare: (name, expr) => `const ${name} = ${expr};`,
  binary: (op, a, b) => `tf.${op}(${a}, ${b})`,
  negate: (a) => `tf.neg(${a})`,
  powi: (x, k) => {
    const n = Math.abs(k);
    let e = n === 2 ? `tf.square(${x})` : n === 3 ? `tf.mul(tf.square(${x}), ${x})` : n === 4 ? `tf.square(tf.square(${x}))` : "";
    if (e === "") {
      e = x;
      for (let i = 1; i < n; i++) e = `tf.mul(${e}, ${x})`;
    }
    return k > 0 ? e : `tf.div(1, ${e})`;
  },
};

const PRELUDE = `
import type * as tfjs from "@tensorflow/tfjs";

type TF = typeof tfjs;
type T = tfjs.Tensor;
/** Per-layer weights: W [units, fanIn], b [units]. */
export type Weights = { W: T; b: T }[];

/** Per-layer W and b sliced out of a flat parameter vector (ParamLayout order). */
export function weights(tf: TF, params: T): Weights {
  return layout.map(([wOffset, bOffset, fanIn, units]) => ({
    W: tf.reshape(tf.slice(params, [wOffset], [units * fanIn]), [units, fanIn]),
    b: tf.slice(params, [bOffset], [units]),
  }));
}

function asWeights(tf: TF, params: T | Weights): Weights {
  return Array.isArray(params) ? params : weights(tf, params);
}

/** A dense layer on a jet: all columns through one matMul; the bias only on the value column. */
function dense(tf: TF, X: readonly T[], W: T, b: T): T[] {
  const Y = tf.matMul(X.length === 1 ? X[0]! : tf.concat(X as T[], 0), W, false, true);
  const cols = X.length === 1 ? [Y] : tf.split(Y, X.length, 0);
  cols[0] = tf.add(cols[0]!, b);
  return cols;
}

/** A constant tensor (a structurally constant jet entry or field). */
function constant(tf: TF, shape: number[], value: number): T {
  return tf.fill(shape, value);
}

/**
 * All Gram entries ⟨P_c1, P_c2⟩ (summed over the output dimension) of the first C columns, by one
 * batched matMul: [1, n] each, row-major C×C (split along rows, which is cheap on every backend).
 */
function gramEntries(tf: TF, P: readonly T[], C: number): T[] {
  const n = P[0]!.shape[0]!;
  const S = tf.stack(P.slice(0, C) as T[], 1);
  return tf.split(tf.transpose(tf.reshape(tf.matMul(S, S, false, true), [n, C * C])), C * C, 0);
}
`;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

type Fn = OptionalKind<FunctionDeclarationStructure>;
const T_LIST = "T[]";

/** Print a block whose inputs are given expressions; literal outputs become tensors of shape `shape` (an expression). */
function printTensorBlock(block: ScalarBlock, input: (name: string) => string, shape: string): { statements: string[]; outputs: string[] } {
  const printed = printBlock(block, tfjsDialect, input);
  const outputs = block.outputs.map((o, i) => {
    const c = block.b.constValue(o.node);
    return c === undefined ? printed.outputs[i]! : `constant(tf, ${shape}, ${literal(c)})`;
  });
  return { statements: printed.statements, outputs };
}

/** The functions computing the jets of Ψ for one program order. */
function decoderFunctions(p: DecoderProgram): Fn[] {
  const C = p.columns.length;
  const fns: Fn[] = [];
  const body: string[] = [];
  const perPoint = (stageBlock: ScalarBlock, name: string, width: number): void => {
    // Inputs z0…: the latent coordinates as [n] tensors; outputs {prefix}{unit}_{column}.
    const printed = printTensorBlock(stageBlock, (input) => input, "z0.shape");
    const byColumn: string[][] = Array.from({ length: C }, () => new Array<string>(width).fill(""));
    stageBlock.outputs.forEach((o, i) => {
      const { unit: u, column: c } = o.index!;
      byColumn[c]![u] = printed.outputs[i]!;
    });
    const unpack = Array.from({ length: p.latentDim }, (_, i) => `const z${i} = zs[${i}]!;`);
    fns.push({
      name,
      parameters: [
        { name: "tf", type: "TF" },
        { name: "z", type: "T" },
      ],
      returnType: T_LIST,
      statements: [
        `const zs = tf.unstack(z, 1);`,
        ...unpack,
        ...printed.statements,
        `return [${byColumn.map((cols) => `tf.stack([${cols.join(", ")}], 1)`).join(", ")}];`,
      ],
    });
    body.push(`X = ${name}(tf, z);`);
  };
  for (const stage of p.stages) {
    switch (stage.kind) {
      case "coordinates": {
        const d = stage.width;
        const cols = p.columns.map((alpha) => {
          if (alpha.length === 0) return "z";
          if (alpha.length === 1) {
            const row = Array.from({ length: d }, (_, i) => (i === alpha[0] ? 1 : 0));
            return `tf.tile(tf.tensor2d([[${row.join(", ")}]]), [n, 1])`;
          }
          return "tf.zerosLike(z)";
        });
        body.push(`X = [${cols.join(", ")}];`);
        break;
      }
      case "torus-embedding":
        perPoint(stage.block, `torusEmbeddingOrder${p.order}`, stage.width);
        break;
      case "analytic":
        perPoint(stage.block, `analyticOrder${p.order}`, stage.width);
        break;
      case "dense":
        body.push(`X = dense(tf, X, w[${stage.index}]!.W, w[${stage.index}]!.b);`);
        break;
      case "activation": {
        if (stage.identity) break;
        const name = `activation${p.stages.indexOf(stage)}Order${p.order}`;
        const printed = printTensorBlock(stage.block, (input) => input, "a0.shape");
        const reads = stage.block.inputs.map((input, c) => `const ${input} = X[${c}]!;`);
        fns.push({
          name,
          docs: [`${stage.activation} applied to the jet of every unit: ${C} columns [n, ${stage.width}].`],
          parameters: [
            { name: "tf", type: "TF" },
            { name: "X", type: "readonly T[]" },
          ],
          returnType: T_LIST,
          statements: [...reads, ...printed.statements, `return [${printed.outputs.join(", ")}];`],
        });
        body.push(`X = ${name}(tf, X);`);
        break;
      }
    }
  }
  fns.push({
    name: `jetsOrder${p.order}`,
    docs: [`Jets of Ψ up to order ${p.order} at the points z [n, ${p.latentDim}]: ${C} columns [n, ${p.outputDim}], graded order.`],
    parameters: [
      { name: "tf", type: "TF" },
      { name: "w", type: "Weights" },
      { name: "z", type: "T" },
    ],
    returnType: T_LIST,
    statements: [`const n = z.shape[0]!;`, `void n;`, `void w;`, `let X: T[] = [];`, ...body, `return X;`],
  });
  return fns;
}

function fieldsOf(k: Kernel) {
  return k.output.kind === "jets" ? [k.output.field] : k.output.fields;
}

function kernelFunctions(k: Kernel): Fn[] {
  const p = k.program;
  const C = p.columns.length;
  const d = p.latentDim;
  const fields = fieldsOf(k);
  const returnType = `{ ${fields.map((f) => `${f.name}: T`).join("; ")} }`;
  const docs = `${k.description}.${fields.map((f) => `\n@returns ${f.name} — ${f.description}, [n${f.shape.map((s) => `, ${s}`).join("")}]`).join("")}`;
  const fromJets: string[] = [`const n = P[0]!.shape[0]!;`, `void n;`];
  if (k.output.kind === "jets") {
    const order = k.output.order;
    const first = p.columns.findIndex((c) => c.length === order);
    const f = k.output.field.name;
    fromJets.push(
      order === 0
        ? `return { ${f}: P[0]! };`
        : `return { ${f}: tf.stack([${Array.from({ length: C - first }, (_, j) => `P[${first + j}]!`).join(", ")}], 2) };`,
    );
  } else {
    const out = k.output;
    const metricPairs = new Set(Array.from({ length: d }, (_, i) => `G${1 + i}_${1 + i}`));
    fromJets.push(`const G = gramEntries(tf, P, ${C});`);
    for (const [c1, c2] of out.gramPairs) {
      const name = `G${c1}_${c2}`;
      const entry = `tf.reshape(G[${c1 * C + c2}]!, [n])`;
      fromJets.push(
        metricPairs.has(name) ? `const ${name} = metricShift ? tf.add(${entry}, metricShift) : ${entry};` : `const ${name} = ${entry};`,
      );
    }
    const printed = printTensorBlock(out.block, (name) => name, "[n]");
    fromJets.push(...printed.statements);
    let i = 0;
    const parts = out.fields.map((f) => {
      const m = size(f.shape);
      const exprs = printed.outputs.slice(i, i + m);
      i += m;
      return f.shape.length === 0
        ? `${f.name}: ${exprs[0]}`
        : `${f.name}: tf.reshape(tf.stack([${exprs.join(", ")}], 1), [n, ${f.shape.join(", ")}])`;
    });
    fromJets.push(`return { ${parts.join(", ")} };`);
  }
  const shiftParam = [{ name: "metricShift", type: "T", hasQuestionToken: true }];
  return [
    {
      name: `${k.name}FromJets`,
      isExported: true,
      docs: [`${k.name} from decoder jets of order ≥ ${p.order} (decoderJets). ${docs}`],
      parameters: [{ name: "tf", type: "TF" }, { name: "P", type: "readonly T[]" }, ...(k.output.kind === "assembly" ? shiftParam : [])],
      returnType,
      statements: fromJets,
    },
    {
      name: k.name,
      isExported: true,
      docs: [docs],
      parameters: [
        { name: "tf", type: "TF" },
        { name: "params", type: "T | Weights" },
        { name: "z", type: "T" },
        ...(k.output.kind === "assembly" ? shiftParam : []),
      ],
      returnType,
      statements: [
        `return ${k.name}FromJets(tf, decoderJets(tf, params, z, ${p.order})${k.output.kind === "assembly" ? ", metricShift" : ""});`,
      ],
    },
  ];
}

export interface TfjsModuleInfo {
  name: string;
  sourceHash: string;
  generator: string;
}

/** The whole module's text. Deterministic: the same kernels give the same bytes. */
export function emitTfjs(kernels: readonly Kernel[], info: TfjsModuleInfo): string {
  const first = kernels[0];
  if (!first) throw new Error("no kernels to emit");
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile("kernels.tfjs.ts", "");
  file.addStatements([
    `// Generated by ${info.generator} from model "${info.name}" (sha256 ${info.sourceHash}).`,
    `// Do not edit: run \`ricci-gen compile\` instead. TensorFlow.js kernels: every function takes the tf namespace first.`,
    PRELUDE.trim(),
  ]);
  const dense = first.program.stages.flatMap((s) => (s.kind === "dense" ? [s.layer] : []));
  const orders = [...new Set(kernels.map((k) => k.program.order))].sort((a, b) => a - b);
  const maxOrder = orders[orders.length - 1]!;
  const constants: [string, string, string?][] = [
    [
      "model",
      JSON.stringify({
        name: info.name,
        latentDim: first.program.latentDim,
        outputDim: first.program.outputDim,
        paramCount: first.program.paramCount,
        sourceHash: info.sourceHash,
      }),
    ],
    [
      "layout",
      JSON.stringify(dense.map((l) => [l.wOffset, l.bOffset, l.fanIn, l.units])),
      "Dense layers as [wOffset, bOffset, fanIn, units].",
    ],
    ["jetOrders", JSON.stringify(orders), "The jet orders decoderJets supports."],
    [
      "columns",
      JSON.stringify(kernels.find((k) => k.program.order === maxOrder)!.program.columns),
      "Jet columns (multi-indices) in graded order; a lower order uses a prefix.",
    ],
  ];
  for (const [name, value, doc] of constants) {
    const typed = name === "layout";
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      ...(doc ? { docs: [doc] } : {}),
      declarations: [
        typed
          ? { name, type: "readonly (readonly [number, number, number, number])[]", initializer: value }
          : { name, initializer: `${value} as const` },
      ],
    });
  }
  const programs = orders.map((o) => kernels.find((k) => k.program.order === o)!.program);
  for (const p of programs) for (const fn of decoderFunctions(p)) file.addFunction({ kind: StructureKind.Function, ...fn });
  file.addFunction({
    kind: StructureKind.Function,
    name: "decoderJets",
    isExported: true,
    docs: [`Jets of Ψ at z [n, d] up to \`order\` (one of ${orders.join(", ")}): columns [n, D] in graded order.`],
    parameters: [
      { name: "tf", type: "TF" },
      { name: "params", type: "T | Weights" },
      { name: "z", type: "T" },
      { name: "order", type: "number" },
    ],
    returnType: T_LIST,
    statements: [
      `const w = asWeights(tf, params);`,
      `switch (order) {`,
      ...orders.map((o) => `  case ${o}: return jetsOrder${o}(tf, w, z);`),
      `  default: throw new Error(\`no jets of order \${order} in this module (have ${orders.join(", ")})\`);`,
      `}`,
    ],
  });
  for (const k of kernels) for (const fn of kernelFunctions(k)) file.addFunction({ kind: StructureKind.Function, ...fn });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["Every kernel's fields and their per-point shapes, and the jet order it needs."],
    declarations: [
      {
        name: "kernelFields",
        initializer:
          JSON.stringify(Object.fromEntries(kernels.map((k) => [k.name, fieldsOf(k).map((f) => ({ name: f.name, shape: f.shape }))]))) +
          " as const",
      },
      {
        name: "kernelOrders",
        initializer: JSON.stringify(Object.fromEntries(kernels.map((k) => [k.name, k.program.order]))) + " as const",
      },
    ],
  });
  return file.getFullText();
}
