/**
 * The scalar expression DAG. Nodes are hash-consed on construction (common subexpressions are
 * shared by construction), constants are folded and algebraic identities (x+0, x·1, x·0, −−x,
 * x^1) applied, so every rule downstream can build naively. Node ids are a topological order.
 */
import { RULES, type BinaryOp, type Op, type UnaryOp } from "./ops.js";

export type NodeId = number;

export interface Node {
  op: Op;
  args: NodeId[];
  /** Constant value, or powi's exponent. */
  value: number;
  /** Input name. */
  name: string;
}

const COMMUTATIVE = new Set<Op>(["add", "mul"]);

export class Builder {
  readonly nodes: Node[] = [];
  private readonly index = new Map<string, NodeId>();
  private readonly inputIds = new Map<string, NodeId>();

  private intern(op: Op, args: NodeId[], value = 0, name = ""): NodeId {
    if (COMMUTATIVE.has(op) && args[0]! > args[1]!) args = [args[1]!, args[0]!];
    const key = `${op}|${args.join(",")}|${value}|${name}`;
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.nodes.length;
      this.nodes.push({ op, args, value, name });
      this.index.set(key, id);
    }
    return id;
  }

  node(id: NodeId): Node {
    const n = this.nodes[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  get size(): number {
    return this.nodes.length;
  }

  num(value: number): NodeId {
    return this.intern("const", [], Object.is(value, -0) ? 0 : value);
  }

  input(name: string): NodeId {
    const id = this.intern("input", [], 0, name);
    this.inputIds.set(name, id);
    return id;
  }

  /** The input node with this name, if one was created. */
  findInput(name: string): NodeId | undefined {
    return this.inputIds.get(name);
  }

  constValue(id: NodeId): number | undefined {
    const n = this.node(id);
    return n.op === "const" ? n.value : undefined;
  }

  isZero(id: NodeId): boolean {
    return this.constValue(id) === 0;
  }

  unary(op: UnaryOp, a: NodeId): NodeId {
    const c = this.constValue(a);
    if (c !== undefined) return this.num(RULES[op].evaluate(c, 0, 0));
    if (op === "neg") {
      const n = this.node(a);
      if (n.op === "neg") return n.args[0]!;
    }
    return this.intern(op, [a]);
  }

  neg(a: NodeId): NodeId {
    return this.unary("neg", a);
  }

  powi(a: NodeId, k: number): NodeId {
    if (!Number.isInteger(k)) throw new Error(`powi needs an integer exponent, got ${k}`);
    if (k === 0) return this.num(1);
    if (k === 1) return a;
    const c = this.constValue(a);
    if (c !== undefined) return this.num(c ** k);
    const n = this.node(a);
    if (n.op === "powi") return this.powi(n.args[0]!, n.value * k);
    return this.intern("powi", [a], k);
  }

  binary(op: BinaryOp, a: NodeId, b: NodeId): NodeId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(RULES[op].evaluate(ca, cb, 0));
    switch (op) {
      case "add":
        if (ca === 0) return b;
        if (cb === 0) return a;
        if (this.node(b).op === "neg") return this.sub(a, this.node(b).args[0]!);
        if (this.node(a).op === "neg") return this.sub(b, this.node(a).args[0]!);
        break;
      case "sub":
        if (cb === 0) return a;
        if (ca === 0) return this.neg(b);
        if (a === b) return this.num(0);
        if (this.node(b).op === "neg") return this.add(a, this.node(b).args[0]!);
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
        if (cb === -1) return this.neg(a);
        if (cb !== undefined) return this.mul(a, this.num(1 / cb));
        break;
      case "pow":
        if (cb !== undefined && Number.isInteger(cb) && Math.abs(cb) <= 8) {
          return cb >= 0 ? this.powi(a, cb) : this.div(this.num(1), this.powi(a, -cb));
        }
        if (cb === 0.5) return this.unary("sqrt", a);
        break;
    }
    return this.intern(op, [a, b]);
  }

  add(a: NodeId, b: NodeId): NodeId {
    return this.binary("add", a, b);
  }
  sub(a: NodeId, b: NodeId): NodeId {
    return this.binary("sub", a, b);
  }
  mul(a: NodeId, b: NodeId): NodeId {
    return this.binary("mul", a, b);
  }
  div(a: NodeId, b: NodeId): NodeId {
    return this.binary("div", a, b);
  }
  pow(a: NodeId, b: NodeId): NodeId {
    return this.binary("pow", a, b);
  }

  /** Σ terms, balanced so that long sums keep short dependency chains. */
  sum(terms: NodeId[]): NodeId {
    const live = terms.filter((t) => !this.isZero(t));
    if (live.length === 0) return this.num(0);
    let level = live;
    while (level.length > 1) {
      const next: NodeId[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? this.add(level[i]!, level[i + 1]!) : level[i]!);
      level = next;
    }
    return level[0]!;
  }

  product(factors: NodeId[]): NodeId {
    return factors.reduce((acc, f) => this.mul(acc, f), this.num(1));
  }
}
