/**
 * The tensor plan: a hash-consed DAG of tensor operations with symbolic shapes, the level between the
 * scalar IR (src/ir) and the tensor targets. A model lowers into it once (src/plan/lower-*.ts): dense
 * layers as matrix products over all jet columns at once, the IR's scalar blocks (activation jet
 * rules, the curvature assembly) replayed elementwise over whole tensors, reductions for the losses.
 * Reverse mode (autodiff.ts) adds the backward ops to the same DAG, and an emitter (emit/onnx.ts)
 * only prints it.
 *
 * Elementwise ops are exactly the IR's (src/ir/ops.ts) with numpy-style broadcasting, and the plan
 * implements the same `Algebra` as the scalar Builder, so the op table's derivative rules build the
 * backward pass of a tensor graph unchanged.
 *
 * A dimension is a number or k·symbol (e.g. the batch `n`, or `6n` for six stacked jet columns), so
 * one graph serves every batch size.
 */
import { RULES, type Algebra, type BinaryOp, type UnaryOp } from "../ir/ops.js";

export type TensorId = number;
export type Dim = number | { sym: string; k: number };
export type Shape = readonly Dim[];

/** Ops with no derivative: masks, rounding, comparisons and data movement of constants. */
export type PlanOp =
  | { kind: "input"; name: string; dtype: "float32" | "int64" }
  | { kind: "const"; value: number }
  | { kind: "constTensor"; values: Float32Array }
  | { kind: "unary"; op: UnaryOp }
  | { kind: "binary"; op: BinaryOp }
  | { kind: "powi"; k: number }
  /** 1 where x > 0, else 0 (no gradient). */
  | { kind: "step" }
  /** Round half to even (no gradient). */
  | { kind: "round" }
  /** Identity forward, zero gradient. */
  | { kind: "detach" }
  /** 1 where a == b, else 0 (no gradient). */
  | { kind: "equal" }
  | { kind: "gemm"; transA: boolean; transB: boolean }
  /** Batched matrix product over leading dimensions. */
  | { kind: "matmul" }
  | { kind: "transpose"; perm: number[] }
  | { kind: "reshape" }
  | { kind: "slice"; axis: number; start: number; end: number }
  | { kind: "concat"; axis: number }
  | { kind: "reduceSum"; axes: number[]; keepdims: boolean }
  | { kind: "reduceMax"; axes: number[]; keepdims: boolean }
  /** Broadcast args[0] to the shape of args[1]. */
  | { kind: "expandLike" }
  /** Zeros of args[0]'s shape. */
  | { kind: "zerosLike" }
  /** Rows of args[0] at the int64 indices args[1] (no gradient). */
  | { kind: "gatherRows" };

export interface PlanNode {
  op: PlanOp;
  args: TensorId[];
  shape: Shape;
}

export const isSym = (d: Dim): d is { sym: string; k: number } => typeof d !== "number";
export const dimEq = (a: Dim, b: Dim): boolean => (isSym(a) ? isSym(b) && a.sym === b.sym && a.k === b.k : a === b);
export const sym = (name: string, k = 1): Dim => ({ sym: name, k });
const dimKey = (d: Dim): string => (isSym(d) ? `${d.k}${d.sym}` : String(d));
export const shapeKey = (s: Shape): string => `[${s.map(dimKey).join(",")}]`;

export function mulDim(a: Dim, b: Dim): Dim {
  if (!isSym(a) && !isSym(b)) return a * b;
  if (isSym(a) && isSym(b)) throw new Error(`cannot multiply two symbolic dimensions ${dimKey(a)}·${dimKey(b)}`);
  const [s, c] = isSym(a) ? [a, b as number] : [b as { sym: string; k: number }, a as number];
  return { sym: s.sym, k: s.k * c };
}

export function broadcastShapes(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1 || dimEq(x, y)) out.push(x);
    else throw new Error(`shapes ${shapeKey(a)} and ${shapeKey(b)} do not broadcast`);
  }
  return out;
}

export class TensorPlan implements Algebra {
  readonly nodes: PlanNode[] = [];
  private readonly index = new Map<string, TensorId>();
  readonly inputs: TensorId[] = [];

  node(id: TensorId): PlanNode {
    const n = this.nodes[id];
    if (!n) throw new Error(`no plan node ${id}`);
    return n;
  }

  shape(id: TensorId): Shape {
    return this.node(id).shape;
  }

  private add_(op: PlanOp, args: TensorId[], shape: Shape, intern = true): TensorId {
    if (op.kind === "binary" && (op.op === "add" || op.op === "mul") && args[0]! > args[1]!) args = [args[1]!, args[0]!];
    const key = intern
      ? `${JSON.stringify(op, (_k, v: unknown) => (v instanceof Float32Array ? [...v] : v))}|${args.join(",")}|${shapeKey(shape)}`
      : "";
    const hit = intern ? this.index.get(key) : undefined;
    if (hit !== undefined) return hit;
    const id = this.nodes.length;
    this.nodes.push({ op, args, shape });
    if (intern) this.index.set(key, id);
    return id;
  }

  input(name: string, shape: Shape, dtype: "float32" | "int64" = "float32"): TensorId {
    const id = this.add_({ kind: "input", name, dtype }, [], shape, false);
    this.inputs.push(id);
    return id;
  }

  num(value: number): TensorId {
    return this.add_({ kind: "const", value: Object.is(value, -0) ? 0 : value }, [], []);
  }

  constTensor(values: Float32Array, shape: Shape): TensorId {
    // Small constants (unit vectors, masks) are shared; large ones (embedded weights) are not keyed.
    return this.add_({ kind: "constTensor", values }, [], shape, values.length <= 64);
  }

  constValue(id: TensorId): number | undefined {
    const op = this.node(id).op;
    return op.kind === "const" ? op.value : undefined;
  }

  isZero(id: TensorId): boolean {
    return this.constValue(id) === 0;
  }

  unary(op: UnaryOp, a: TensorId): TensorId {
    const c = this.constValue(a);
    if (c !== undefined) return this.num(RULES[op].evaluate(c, 0, 0));
    if (op === "neg") {
      const n = this.node(a);
      if (n.op.kind === "unary" && n.op.op === "neg") return n.args[0]!;
    }
    return this.add_({ kind: "unary", op }, [a], this.shape(a));
  }

  neg(a: TensorId): TensorId {
    return this.unary("neg", a);
  }

  powi(a: TensorId, k: number): TensorId {
    if (k === 0) return this.num(1);
    if (k === 1) return a;
    const c = this.constValue(a);
    if (c !== undefined) return this.num(c ** k);
    return this.add_({ kind: "powi", k }, [a], this.shape(a));
  }

  binary(op: BinaryOp, a: TensorId, b: TensorId): TensorId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(RULES[op].evaluate(ca, cb, 0));
    // Identities only where the result keeps the other operand's shape (a scalar constant broadcasts).
    switch (op) {
      case "add":
        if (ca === 0) return b;
        if (cb === 0) return a;
        break;
      case "sub":
        if (cb === 0) return a;
        if (ca === 0) return this.neg(b);
        break;
      case "mul":
        if (ca === 0 || cb === 0) return this.num(0);
        if (ca === 1) return b;
        if (cb === 1) return a;
        if (ca === -1) return this.neg(b);
        if (cb === -1) return this.neg(a);
        if (a === b) return this.powi(a, 2);
        break;
      case "div":
        if (ca === 0) return this.num(0);
        if (cb === 1) return a;
        if (cb !== undefined) return this.mul(a, this.num(1 / cb));
        break;
      case "pow":
        if (cb !== undefined && Number.isInteger(cb) && Math.abs(cb) <= 8)
          return cb >= 0 ? this.powi(a, cb) : this.div(this.num(1), this.powi(a, -cb));
        if (cb === 0.5) return this.unary("sqrt", a);
        break;
    }
    return this.add_({ kind: "binary", op }, [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }

  add(a: TensorId, b: TensorId): TensorId {
    return this.binary("add", a, b);
  }
  sub(a: TensorId, b: TensorId): TensorId {
    return this.binary("sub", a, b);
  }
  mul(a: TensorId, b: TensorId): TensorId {
    return this.binary("mul", a, b);
  }
  div(a: TensorId, b: TensorId): TensorId {
    return this.binary("div", a, b);
  }
  pow(a: TensorId, b: TensorId): TensorId {
    return this.binary("pow", a, b);
  }

  sum(terms: TensorId[]): TensorId {
    const live = terms.filter((t) => !this.isZero(t));
    if (live.length === 0) return this.num(0);
    let level = live;
    while (level.length > 1) {
      const next: TensorId[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? this.add(level[i]!, level[i + 1]!) : level[i]!);
      level = next;
    }
    return level[0]!;
  }

  step(a: TensorId): TensorId {
    return this.add_({ kind: "step" }, [a], this.shape(a));
  }
  round(a: TensorId): TensorId {
    return this.add_({ kind: "round" }, [a], this.shape(a));
  }
  detach(a: TensorId): TensorId {
    return this.add_({ kind: "detach" }, [a], this.shape(a));
  }
  equal(a: TensorId, b: TensorId): TensorId {
    return this.add_({ kind: "equal" }, [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }

  gemm(a: TensorId, b: TensorId, transA = false, transB = false): TensorId {
    const [sa, sb] = [this.shape(a), this.shape(b)];
    if (sa.length !== 2 || sb.length !== 2) throw new Error("gemm takes 2-D operands");
    const [m, ka] = transA ? [sa[1]!, sa[0]!] : [sa[0]!, sa[1]!];
    const [kb, n] = transB ? [sb[1]!, sb[0]!] : [sb[0]!, sb[1]!];
    if (!dimEq(ka, kb)) throw new Error(`gemm inner dimensions ${dimKey(ka)} ≠ ${dimKey(kb)}`);
    return this.add_({ kind: "gemm", transA, transB }, [a, b], [m, n]);
  }

  matmul(a: TensorId, b: TensorId): TensorId {
    const [sa, sb] = [this.shape(a), this.shape(b)];
    if (sa.length !== 3 || sb.length !== 3 || !dimEq(sa[2]!, sb[1]!)) throw new Error(`matmul shapes ${shapeKey(sa)} × ${shapeKey(sb)}`);
    return this.add_({ kind: "matmul" }, [a, b], [sa[0]!, sa[1]!, sb[2]!]);
  }

  transpose(a: TensorId, perm: number[]): TensorId {
    const s = this.shape(a);
    return this.add_(
      { kind: "transpose", perm },
      [a],
      perm.map((p) => s[p]!),
    );
  }

  reshape(a: TensorId, shape: Shape): TensorId {
    if (shapeKey(shape) === shapeKey(this.shape(a))) return a;
    if (shape.filter(isSym).length > 1) throw new Error(`reshape to ${shapeKey(shape)}: at most one symbolic dimension`);
    return this.add_({ kind: "reshape" }, [a], shape);
  }

  slice(a: TensorId, axis: number, start: number, end: number): TensorId {
    const s = [...this.shape(a)];
    if (isSym(s[axis]!)) throw new Error("slices along a symbolic dimension are not supported");
    if (start === 0 && end === s[axis]) return a;
    s[axis] = end - start;
    return this.add_({ kind: "slice", axis, start, end }, [a], s);
  }

  concat(parts: TensorId[], axis: number): TensorId {
    if (parts.length === 1) return parts[0]!;
    const s = [...this.shape(parts[0]!)];
    s[axis] = parts.map((p) => this.shape(p)[axis]!).reduce(addDims);
    return this.add_({ kind: "concat", axis }, parts, s);
  }

  reduceSum(a: TensorId, axes: number[], keepdims = false): TensorId {
    return this.add_({ kind: "reduceSum", axes, keepdims }, [a], reducedShape(this.shape(a), axes, keepdims));
  }

  reduceMax(a: TensorId, axes: number[], keepdims = false): TensorId {
    return this.add_({ kind: "reduceMax", axes, keepdims }, [a], reducedShape(this.shape(a), axes, keepdims));
  }

  /** Sum of all elements (a scalar). */
  total(a: TensorId): TensorId {
    const r = this.shape(a).length;
    return r === 0
      ? a
      : this.reduceSum(
          a,
          Array.from({ length: r }, (_, i) => i),
        );
  }

  expandLike(a: TensorId, like: TensorId): TensorId {
    if (shapeKey(this.shape(a)) === shapeKey(this.shape(like))) return a;
    return this.add_({ kind: "expandLike" }, [a, like], this.shape(like));
  }

  zerosLike(a: TensorId): TensorId {
    return this.add_({ kind: "zerosLike" }, [a], this.shape(a));
  }

  gatherRows(a: TensorId, indices: TensorId): TensorId {
    return this.add_({ kind: "gatherRows" }, [a, indices], [this.shape(indices)[0]!, ...this.shape(a).slice(1)]);
  }

  /** Rows [n] → a column [n, 1] and similar: insert a unit axis. */
  unsqueeze(a: TensorId, axis: number): TensorId {
    const s = [...this.shape(a)];
    s.splice(axis, 0, 1);
    return this.reshape(a, s);
  }
}

function addDims(a: Dim, b: Dim): Dim {
  if (!isSym(a) && !isSym(b)) return a + b;
  if (isSym(a) && isSym(b) && a.sym === b.sym) return { sym: a.sym, k: a.k + b.k };
  throw new Error(`cannot concatenate dimensions ${dimKey(a)} and ${dimKey(b)}`);
}

function reducedShape(s: Shape, axes: number[], keepdims: boolean): Shape {
  return keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
}

/** Nodes reachable from `roots`, in id (topological) order: what a printer or an interpreter must compute. */
export function liveNodes(plan: TensorPlan, roots: readonly TensorId[]): TensorId[] {
  const live = new Uint8Array(plan.nodes.length);
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (live[id]) continue;
    live[id] = 1;
    stack.push(...plan.node(id).args);
  }
  const order: TensorId[] = [];
  for (let id = 0; id < live.length; id++) if (live[id]) order.push(id);
  return order;
}
