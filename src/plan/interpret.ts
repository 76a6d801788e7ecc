/**
 * A float64 interpreter of the tensor plan: the reference the ONNX graphs are diffed against, and the
 * float64 loss whose central finite differences check the plan's reverse mode. Plain loops, row-major,
 * numpy broadcasting; slow and simple on purpose.
 */
import { RULES } from "../ir/ops.js";
import { isSym, liveNodes, type Dim, type TensorId, type TensorPlan } from "./tensor.js";

export interface Tensor64 {
  shape: number[];
  data: Float64Array;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

/** Index into `t` for the multi-index `idx` of a broadcast result (leading axes aligned right). */
function broadcastReader(t: Tensor64, outShape: readonly number[]): (flat: number) => number {
  const st = strides(t.shape);
  const outSt = strides(outShape);
  const lead = outShape.length - t.shape.length;
  return (flat) => {
    let off = 0;
    for (let i = 0; i < outShape.length; i++) {
      const k = Math.floor(flat / outSt[i]!) % outShape[i]!;
      const j = i - lead;
      if (j >= 0 && t.shape[j] !== 1) off += k * st[j]!;
    }
    return t.data[off]!;
  };
}

function elementwise(args: Tensor64[], outShape: number[], f: (...xs: number[]) => number): Tensor64 {
  const readers = args.map((a) => broadcastReader(a, outShape));
  const data = new Float64Array(size(outShape));
  for (let i = 0; i < data.length; i++) data[i] = f(...readers.map((r) => r(i)));
  return { shape: outShape, data };
}

function transpose(a: Tensor64, perm: number[]): Tensor64 {
  const shape = perm.map((p) => a.shape[p]!);
  const inSt = strides(a.shape);
  const outSt = strides(shape);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += (Math.floor(i / outSt[k]!) % shape[k]!) * inSt[perm[k]!]!;
    data[i] = a.data[off]!;
  }
  return { shape, data };
}

function matmul2(a: Float64Array, b: Float64Array, m: number, k: number, n: number, out: Float64Array, at = 0): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q]! * b[q * n + j]!;
      out[at + i * n + j] = s;
    }
}

function reduce(a: Tensor64, axes: number[], keepdims: boolean, init: number, f: (acc: number, x: number) => number): Tensor64 {
  const keptShape = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSt = strides(keptShape);
  const inSt = strides(a.shape);
  const data = new Float64Array(size(keptShape)).fill(init);
  for (let i = 0; i < a.data.length; i++) {
    let off = 0;
    for (let k = 0; k < a.shape.length; k++) if (!axes.includes(k)) off += (Math.floor(i / inSt[k]!) % a.shape[k]!) * outSt[k]!;
    data[off] = f(data[off]!, a.data[i]!);
  }
  return { shape: keepdims ? keptShape : a.shape.filter((_, i) => !axes.includes(i)), data };
}

/** A·B of two matrices (already transposed as the gemm asks). */
function gemm(A: Tensor64, B: Tensor64, shape: number[]): Tensor64 {
  const out = new Float64Array(shape[0]! * shape[1]!);
  matmul2(A.data, B.data, shape[0]!, A.shape[1]!, shape[1]!, out);
  return { shape, data: out };
}

/** [batch, m, k] × [batch, k, n]. */
function batchedMatmul(a: Tensor64, b: Tensor64, shape: number[]): Tensor64 {
  const [batch, m, k] = a.shape as [number, number, number];
  const n = b.shape[2]!;
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) matmul2(a.data.subarray(i * m * k), b.data.subarray(i * k * n), m, k, n, out, i * m * n);
  return { shape, data: out };
}

/** The part of `a` of output `shape` that starts at `start` along `axis`. */
function sliceAxis(a: Tensor64, shape: number[], axis: number, start: number): Tensor64 {
  const outSt = strides(shape);
  const inSt = strides(a.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += ((Math.floor(i / outSt[k]!) % shape[k]!) + (k === axis ? start : 0)) * inSt[k]!;
    data[i] = a.data[off]!;
  }
  return { shape, data };
}

/** `parts` joined along `axis`. */
function concatAxis(parts: readonly Tensor64[], shape: number[], axis: number): Tensor64 {
  const outSt = strides(shape);
  const data = new Float64Array(size(shape));
  let at = 0;
  for (const part of parts) {
    const pSt = strides(part.shape);
    for (let i = 0; i < part.data.length; i++) {
      let off = 0;
      for (let k = 0; k < shape.length; k++) off += ((Math.floor(i / pSt[k]!) % part.shape[k]!) + (k === axis ? at : 0)) * outSt[k]!;
      data[off] = part.data[i]!;
    }
    at += part.shape[axis]!;
  }
  return { shape, data };
}

/** Rows `rows` of `a` (its first axis), in order. */
function gatherRows(a: Tensor64, rows: Tensor64, shape: number[]): Tensor64 {
  const row = size(a.shape.slice(1));
  const data = new Float64Array(size(shape));
  rows.data.forEach((r, i) => data.set(a.data.subarray(r * row, (r + 1) * row), i * row));
  return { shape, data };
}

/** Evaluate the plan's nodes `roots` in float64. `sizes` binds the symbolic dimensions. */
export function interpretPlan(
  plan: TensorPlan,
  roots: readonly TensorId[],
  inputs: Readonly<Record<string, Float64Array>>,
  sizes: Readonly<Record<string, number>>,
  /**
   * Stop-gradient values: every `detach` node's value is recorded here, or, when one is already
   * present, used instead of its argument. Finite differences of the loss with the detached values
   * held fixed then give the gradient the reverse mode computes.
   */
  detached?: Map<TensorId, Tensor64>,
): Tensor64[] {
  const dim = (d: Dim): number => (isSym(d) ? d.k * sizes[d.sym]! : d);
  const values = new Map<TensorId, Tensor64>();
  const value = (id: TensorId): Tensor64 => values.get(id)!;
  const evaluate = (id: TensorId): Tensor64 => {
    const node = plan.node(id);
    const shape = node.shape.map(dim);
    const op = node.op;
    if (op.kind === "input") {
      const data = inputs[op.name];
      if (!data || data.length !== size(shape)) throw new Error(`input ${op.name}: need ${size(shape)} values`);
      return { shape, data };
    }
    if (op.kind === "const") return { shape: [], data: Float64Array.of(op.value) };
    if (op.kind === "constTensor") return { shape, data: Float64Array.from(op.values) };
    const args = node.args.map(value);
    const [a, b] = args as [Tensor64, Tensor64];
    switch (op.kind) {
      case "unary":
        return elementwise([a], shape, (x) => RULES[op.op].evaluate(x, 0, 0));
      case "binary":
        return elementwise([a, b], shape, (x, y) => RULES[op.op].evaluate(x, y, 0));
      case "powi":
        return elementwise([a], shape, (x) => x ** op.k);
      case "step":
        return elementwise([a], shape, (x) => (x > 0 ? 1 : 0));
      case "round":
        return elementwise([a], shape, (x) => {
          const r = Math.round(x);
          return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even, as ONNX Round
        });
      case "detach": {
        const held = detached?.get(id);
        if (held) return held;
        detached?.set(id, a);
        return a;
      }
      case "equal":
        return elementwise([a, b], shape, (x, y) => (x === y ? 1 : 0));
      case "gemm":
        return gemm(op.transA ? transpose(a, [1, 0]) : a, op.transB ? transpose(b, [1, 0]) : b, shape);
      case "matmul":
        return batchedMatmul(a, b, shape);
      case "transpose":
        return transpose(a, op.perm);
      case "reshape":
        return { shape, data: a.data };
      case "slice":
        return sliceAxis(a, shape, op.axis, op.start);
      case "concat":
        return concatAxis(args, shape, op.axis);
      case "reduceSum":
        return reduce(a, op.axes, op.keepdims, 0, (s, x) => s + x);
      case "reduceMax":
        return reduce(a, op.axes, op.keepdims, -Infinity, Math.max);
      case "expandLike":
        return elementwise([a], shape, (x) => x);
      case "zerosLike":
        return { shape, data: new Float64Array(size(shape)) };
      case "gatherRows":
        return gatherRows(a, b, shape);
    }
  };
  // Live nodes in id (topological) order: no recursion, however deep the graph.
  for (const id of liveNodes(plan, roots)) values.set(id, evaluate(id));
  return roots.map(value);
}
