/**
 * Reverse mode on the tensor plan, at compile time: the backward ops are added to the same DAG, so
 * the emitted graph computes the loss and its exact gradient with no autodiff at run time.
 *
 * Elementwise ops take their local derivatives from the IR's op table (src/ir/ops.ts), the same
 * rules the scalar reverse mode (src/ir/reverse.ts) uses; broadcasting is undone by summing over the
 * broadcast axes. Matrix products follow dA = dC·Bᵀ, dB = Aᵀ·dC (with the transposes folded into
 * gemm's flags); slices of one tensor along one axis gather back into a single concat.
 */
import { RULES } from "../ir/ops.js";
import { dimEq, shapeKey, type Shape, type TensorId, type TensorPlan } from "./tensor.js";

type Contribution = { kind: "full"; grad: TensorId } | { kind: "slice"; axis: number; start: number; end: number; grad: TensorId };

/** Sum `t` over the axes along which it was broadcast from `target`. */
export function unbroadcast(p: TensorPlan, t: TensorId, target: Shape): TensorId {
  const s = p.shape(t);
  if (shapeKey(s) === shapeKey(target)) return t;
  const lead = s.length - target.length;
  const axes: number[] = [];
  s.forEach((d, i) => {
    const td = i < lead ? 1 : target[i - lead]!;
    if (td === 1 && d !== 1) axes.push(i);
    else if (!dimEq(td, d) && d !== 1) throw new Error(`cannot unbroadcast ${shapeKey(s)} to ${shapeKey(target)}`);
  });
  const reduced = axes.length ? p.reduceSum(t, axes, true) : t;
  return p.reshape(reduced, target);
}

/** Ops through which no gradient flows. */
const BLOCKED = new Set(["detach", "step", "round", "equal", "gatherRows", "zerosLike", "input", "const", "constTensor"]);

function keepdimsShape(s: Shape, axes: number[]): Shape {
  return s.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Gradients of the scalar `loss` with respect to each of `wrt` (zeros where it does not depend on one). */
export function gradients(p: TensorPlan, loss: TensorId, wrt: readonly TensorId[]): TensorId[] {
  // Only nodes on a path from some `wrt` input carry adjoints: no backward ops for data or constants.
  const reaches = new Uint8Array(loss + 1);
  for (const id of wrt) if (id <= loss) reaches[id] = 1;
  for (let id = 0; id <= loss; id++) {
    const kind = p.node(id).op.kind;
    if (reaches[id] || BLOCKED.has(kind)) continue;
    if (p.node(id).args.some((a) => reaches[a])) reaches[id] = 1;
  }
  const pending = new Map<TensorId, Contribution[]>();
  const contribute = (id: TensorId, c: Contribution): void => {
    if (!reaches[id] || p.isZero(c.grad)) return;
    const list = pending.get(id);
    if (list) list.push(c);
    else pending.set(id, [c]);
  };
  const full = (id: TensorId, grad: TensorId): void => contribute(id, { kind: "full", grad });
  const result = new Map<TensorId, TensorId>();
  full(loss, p.num(1));
  for (let id = loss; id >= 0; id--) {
    const parts = pending.get(id);
    if (!parts) continue;
    pending.delete(id);
    const bar = accumulate(p, id, parts);
    result.set(id, bar);
    backward(p, id, bar, full, contribute);
  }
  return wrt.map((id) => result.get(id) ?? p.zerosLike(id));
}

function accumulate(p: TensorPlan, id: TensorId, parts: Contribution[]): TensorId {
  const fulls = parts.flatMap((c) => (c.kind === "full" ? [c.grad] : []));
  const slices = parts.flatMap((c) => (c.kind === "slice" ? [c] : []));
  let total = fulls.length ? p.expandLike(p.sum(fulls), id) : null;
  if (slices.length) {
    const axis = slices[0]!.axis;
    const size = p.shape(id)[axis] as number;
    const sorted = [...slices].sort((a, b) => a.start - b.start);
    const disjoint = sorted.every((s, i) => s.axis === axis && (i === 0 || s.start >= sorted[i - 1]!.end));
    const pieces = (list: typeof sorted): TensorId => {
      const out: TensorId[] = [];
      let at = 0;
      for (const s of list) {
        if (s.start > at) out.push(p.zerosLike(p.slice(id, axis, at, s.start)));
        out.push(s.grad);
        at = s.end;
      }
      if (at < size) out.push(p.zerosLike(p.slice(id, axis, at, size)));
      return p.concat(out, axis);
    };
    const gathered = disjoint ? [pieces(sorted)] : sorted.map((s) => pieces([s]));
    total = p.sum(total === null ? gathered : [total, ...gathered]);
  }
  return total!;
}

function backward(
  p: TensorPlan,
  id: TensorId,
  bar: TensorId,
  full: (id: TensorId, grad: TensorId) => void,
  contribute: (id: TensorId, c: Contribution) => void,
): void {
  const n = p.node(id);
  const [a, b] = n.args as [TensorId, TensorId];
  const op = n.op;
  switch (op.kind) {
    case "unary":
    case "binary":
    case "powi": {
      const rule = RULES[op.kind === "powi" ? "powi" : op.op];
      const local = rule.derivative(p, n.args, id, op.kind === "powi" ? op.k : 0);
      n.args.forEach((arg, i) => full(arg, unbroadcast(p, p.mul(bar, local[i]!), p.shape(arg))));
      return;
    }
    case "gemm": {
      const { transA, transB } = op;
      // C = op(A)·op(B): dA and dB with the transposes folded into gemm's flags.
      const [da, db] = !transA
        ? !transB
          ? [p.gemm(bar, b, false, true), p.gemm(a, bar, true, false)]
          : [p.gemm(bar, b), p.gemm(bar, a, true, false)]
        : !transB
          ? [p.gemm(b, bar, false, true), p.gemm(a, bar)]
          : [p.gemm(b, bar, true, true), p.gemm(bar, a, true, true)];
      full(a, da);
      full(b, db);
      return;
    }
    case "matmul":
      full(a, p.matmul(bar, p.transpose(b, [0, 2, 1])));
      full(b, p.matmul(p.transpose(a, [0, 2, 1]), bar));
      return;
    case "transpose": {
      const inverse = op.perm.map((_, i) => op.perm.indexOf(i));
      full(a, p.transpose(bar, inverse));
      return;
    }
    case "reshape":
      full(a, p.reshape(bar, p.shape(a)));
      return;
    case "slice":
      contribute(a, { kind: "slice", axis: op.axis, start: op.start, end: op.end, grad: bar });
      return;
    case "concat": {
      let at = 0;
      for (const part of n.args) {
        const len = p.shape(part)[op.axis] as number;
        full(part, p.slice(bar, op.axis, at, at + len));
        at += len;
      }
      return;
    }
    case "reduceSum": {
      const kept = op.keepdims ? bar : p.reshape(bar, keepdimsShape(p.shape(a), op.axes));
      full(a, p.expandLike(kept, a));
      return;
    }
    case "reduceMax": {
      const shape = keepdimsShape(p.shape(a), op.axes);
      const max = op.keepdims ? id : p.reshape(id, shape);
      const g = op.keepdims ? bar : p.reshape(bar, shape);
      full(a, p.mul(p.expandLike(g, a), p.equal(a, p.expandLike(max, a))));
      return;
    }
    case "expandLike":
      full(a, unbroadcast(p, bar, p.shape(a)));
      return;
    default:
      // input, constants, masks, rounding, detach, gathers of detached data: no gradient flows.
      return;
  }
}
