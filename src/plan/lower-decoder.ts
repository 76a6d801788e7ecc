/**
 * Lowering a decoder program (src/ir/program.ts) and its kernels (src/ir/kernels.ts) into the tensor
 * plan. A jet is one stacked matrix [C·n, width] (column c of point i in row c·n + i), so a dense
 * layer is one matrix product for all C columns; the bias is added to column 0 only. Scalar blocks
 * (activation jet rules, the torus embedding, analytic formulas, the curvature assembly) are replayed
 * elementwise: one plan op per IR node, on [n, width] (or [n, 1]) tensors.
 */
import { schedule, type ScalarBlock } from "../ir/block.js";
import type { AssemblyOutput, Field, Kernel } from "../ir/kernels.js";
import type { DecoderProgram } from "../ir/program.js";
import { isSym, sym, type Dim, type TensorId, type TensorPlan } from "./tensor.js";

/** Replay a scalar block elementwise; returns one tensor per block output, in order. */
export function replayBlock(p: TensorPlan, block: ScalarBlock, inputs: (name: string) => TensorId): TensorId[] {
  const value = new Map<number, TensorId>();
  for (const id of schedule(block)) {
    const n = block.b.node(id);
    const [a, c] = n.args.map((x) => value.get(x)!) as [TensorId, TensorId];
    let t: TensorId;
    switch (n.op) {
      case "const":
        t = p.num(n.value);
        break;
      case "input":
        t = inputs(n.name);
        break;
      case "powi":
        t = p.powi(a, n.value);
        break;
      case "add":
      case "sub":
      case "mul":
      case "div":
      case "pow":
        t = p.binary(n.op, a, c);
        break;
      default:
        t = p.unary(n.op, a);
    }
    value.set(id, t);
  }
  return block.outputs.map((o) => value.get(o.node)!);
}

export interface StackedJet {
  /** [C·n, width]. */
  stacked: TensorId;
  columns: number;
  points: Dim;
  width: number;
}

const pointsSym = (n: Dim): string => {
  if (!isSym(n) || n.k !== 1) throw new Error("the point count must be a plain symbolic dimension");
  return n.sym;
};

export function stack(p: TensorPlan, cols: TensorId[], n: Dim, width: number): StackedJet {
  const parts = cols.map((c) => p.reshape(p.expandLike(c, cols[0]!), [1, n, width]));
  const C = cols.length;
  return { stacked: p.reshape(p.concat(parts, 0), [sym(pointsSym(n), C), width]), columns: C, points: n, width };
}

export function unstack(p: TensorPlan, jet: StackedJet): TensorId[] {
  const cube = p.reshape(jet.stacked, [jet.columns, jet.points, jet.width]);
  return Array.from({ length: jet.columns }, (_, c) => p.reshape(p.slice(cube, 0, c, c + 1), [jet.points, jet.width]));
}

/** Columns of a per-point block whose outputs are named {prefix}{unit}_{column}. */
function perPointColumns(p: TensorPlan, block: ScalarBlock, z: TensorId, n: Dim, width: number, C: number): StackedJet {
  const d = p.shape(z)[1] as number;
  const zs = Array.from({ length: d }, (_, i) => p.slice(z, 1, i, i + 1));
  const outs = replayBlock(p, block, (name) => zs[Number(name.slice(1))]!);
  const byColumn: TensorId[][] = Array.from({ length: C }, () => new Array<TensorId>(width));
  block.outputs.forEach((o, i) => {
    const { unit: u, column: c } = o.index!;
    byColumn[c]![u] = p.expandLike(outs[i]!, zs[0]!);
  });
  return stack(
    p,
    byColumn.map((units) => p.concat(units, 1)),
    n,
    width,
  );
}

/** A flat parameter vector's dense layer: W [units, fanIn] and b [units]. */
export function layerWeights(p: TensorPlan, params: TensorId, l: { wOffset: number; bOffset: number; fanIn: number; units: number }) {
  return {
    W: p.reshape(p.slice(params, 0, l.wOffset, l.bOffset), [l.units, l.fanIn]),
    b: p.slice(params, 0, l.bOffset, l.bOffset + l.units),
  };
}

/** Jets of Ψ at the points z [n, d] through the program's stages. */
export function lowerDecoderJets(p: TensorPlan, program: DecoderProgram, params: TensorId | null, z: TensorId): StackedJet {
  const n = p.shape(z)[0]!;
  const C = program.columns.length;
  const d = program.latentDim;
  let X: StackedJet | null = null;
  for (const stage of program.stages) {
    switch (stage.kind) {
      case "coordinates": {
        const cols = program.columns.map((alpha) => {
          if (alpha.length === 0) return z;
          if (alpha.length === 1)
            return p.expandLike(
              p.constTensor(
                Float32Array.from({ length: d }, (_, i) => (i === alpha[0] ? 1 : 0)),
                [1, d],
              ),
              z,
            );
          return p.zerosLike(z);
        });
        X = stack(p, cols, n, d);
        break;
      }
      case "torus-embedding":
      case "analytic":
        X = perPointColumns(p, stage.block, z, n, stage.width, C);
        break;
      case "dense": {
        if (X === null || params === null) throw new Error("dense stage without input or parameters");
        const { W, b } = layerWeights(p, params, stage.layer);
        const units = stage.layer.units;
        const Y = p.reshape(p.gemm(X.stacked, W, false, true), [C, n, units]);
        const columnZero = p.constTensor(
          Float32Array.from({ length: C }, (_, c) => (c === 0 ? 1 : 0)),
          [C, 1, 1],
        );
        const biased = p.add(Y, p.mul(columnZero, p.reshape(b, [1, 1, units])));
        X = { stacked: p.reshape(biased, [sym(pointsSym(n), C), units]), columns: C, points: n, width: units };
        break;
      }
      case "activation": {
        if (X === null) throw new Error("activation before any layer");
        if (stage.identity) break;
        const cols = unstack(p, X);
        const outs = replayBlock(p, stage.block, (name) => cols[Number(name.slice(1))]!);
        X = stack(p, outs, n, stage.width);
        break;
      }
    }
  }
  if (X === null) throw new Error("empty decoder program");
  return X;
}

/** Gram entries ⟨P_c1, P_c2⟩ summed over the output dimension, as [n, 1] tensors, by one batched matmul. */
export function gramEntries(p: TensorPlan, jet: StackedJet, pairs: readonly [number, number][]): Map<string, TensorId> {
  const C = jet.columns;
  const perPoint = p.transpose(p.reshape(jet.stacked, [C, jet.points, jet.width]), [1, 0, 2]); // [n, C, D]
  const G = p.reshape(p.matmul(perPoint, p.transpose(perPoint, [0, 2, 1])), [jet.points, C * C]);
  return new Map(pairs.map(([c1, c2]) => [`G${c1}_${c2}`, p.slice(G, 1, c1 * C + c2, c1 * C + c2 + 1)]));
}

/**
 * An assembly kernel's fields at the points of `jet` (a jet of order ≥ the kernel's). `metricShift`
 * ([n, 1]) is added to the diagonal metric entries g_ii first, as in the other targets.
 */
export function lowerAssembly(p: TensorPlan, kernel: Kernel, jet: StackedJet, metricShift: TensorId | null): Record<string, TensorId> {
  const out = kernel.output as AssemblyOutput;
  if (out.kind !== "assembly") throw new Error(`${kernel.name} is not an assembly kernel`);
  const d = kernel.program.latentDim;
  const gram = gramEntries(p, jet, out.gramPairs);
  if (metricShift !== null)
    for (let i = 1; i <= d; i++) {
      const key = `G${i}_${i}`;
      const g = gram.get(key);
      if (g !== undefined) gram.set(key, p.add(g, metricShift));
    }
  const values = replayBlock(p, out.block, (name) => gram.get(name)!);
  const fields: Record<string, TensorId> = {};
  let at = 0;
  for (const f of out.fields) {
    const size = f.shape.reduce((a, b) => a * b, 1);
    const parts = values.slice(at, at + size).map((v) => p.expandLike(v, gram.values().next().value!));
    at += size;
    fields[f.name] = fieldTensor(p, f, parts, jet.points);
  }
  return fields;
}

function fieldTensor(p: TensorPlan, f: Field, parts: TensorId[], n: Dim): TensorId {
  if (f.shape.length === 0) return p.reshape(parts[0]!, [n]);
  return p.reshape(p.concat(parts, 1), [n, ...f.shape]);
}

/** Jet columns of one derivative order as a field [n, D, columns] (order 0: Ψ itself, [n, D]). */
export function jetField(p: TensorPlan, program: DecoderProgram, jet: StackedJet, order: number): TensorId {
  const cols = unstack(p, jet);
  if (order === 0) return cols[0]!;
  const picked = program.columns.flatMap((alpha, c) => (alpha.length === order ? [cols[c]!] : []));
  return p.transpose(
    p.reshape(
      p.concat(
        picked.map((c) => p.reshape(c, [1, jet.points, jet.width])),
        0,
      ),
      [picked.length, jet.points, jet.width],
    ),
    [1, 2, 0],
  );
}
