/**
 * A straight-line scalar function: named inputs → named outputs over one Builder's DAG, plus the
 * passes every emitter runs before printing: dead-code elimination and scheduling, op counts, and
 * an f64 interpreter (the reference the emitted code is diffed against).
 */
import { Builder, type NodeId } from "./graph.js";
import { RULES } from "./ops.js";
import type { Formula } from "../rules/formula.js";

export interface Output {
  name: string;
  node: NodeId;
  /** Per-unit outputs of a per-point stage (torus embedding, analytic decoder): which unit and jet column. */
  index?: { unit: number; column: number };
}

export interface ScalarBlock {
  b: Builder;
  /** Input names, in the order the emitted function receives them. */
  inputs: string[];
  outputs: Output[];
}

/** Build nodes for a Formula, with its variables bound to nodes. */
export function fromFormula(b: Builder, f: Formula, vars: Readonly<Record<string, NodeId>>): NodeId {
  switch (f.op) {
    case "num":
      return b.num(f.value);
    case "var": {
      const v = vars[f.name];
      if (v === undefined) throw new Error(`unbound variable ${f.name}`);
      return v;
    }
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "pow":
      return b.binary(f.op, fromFormula(b, f.args[0], vars), fromFormula(b, f.args[1], vars));
    default:
      return b.unary(f.op, fromFormula(b, f.args[0], vars));
  }
}

/** Node ids reachable from the outputs, in topological (id) order: dead code is dropped. */
export function schedule(block: ScalarBlock): NodeId[] {
  const live = new Uint8Array(block.b.size);
  const stack = block.outputs.map((o) => o.node);
  while (stack.length) {
    const id = stack.pop()!;
    if (live[id]) continue;
    live[id] = 1;
    for (const a of block.b.node(id).args) stack.push(a);
  }
  const order: NodeId[] = [];
  for (let id = 0; id < live.length; id++) if (live[id]) order.push(id);
  return order;
}

export interface OpCounts {
  /** Arithmetic nodes if every output were expanded as a tree (no sharing). */
  beforeCse: number;
  /** Arithmetic nodes in the shared DAG after dead-code elimination. */
  afterCse: number;
}

export function opCounts(block: ScalarBlock): OpCounts {
  const order = schedule(block);
  const tree = new Float64Array(block.b.size);
  let afterCse = 0;
  for (const id of order) {
    const n = block.b.node(id);
    if (n.op === "const" || n.op === "input") continue;
    afterCse++;
    tree[id] = 1 + n.args.reduce((s, a) => s + tree[a]!, 0);
  }
  const beforeCse = block.outputs.reduce((s, o) => s + tree[o.node]!, 0);
  return { beforeCse, afterCse };
}

/** Evaluate a block in f64. */
export function interpret(block: ScalarBlock, inputs: Readonly<Record<string, number>>): Record<string, number> {
  const values = new Float64Array(block.b.size);
  for (const id of schedule(block)) {
    const n = block.b.node(id);
    if (n.op === "const") values[id] = n.value;
    else if (n.op === "input") {
      const v = inputs[n.name];
      if (v === undefined) throw new Error(`missing input ${n.name}`);
      values[id] = v;
    } else values[id] = RULES[n.op].evaluate(values[n.args[0]!]!, values[n.args[1] ?? 0]!, n.value);
  }
  const out: Record<string, number> = {};
  for (const o of block.outputs) out[o.name] = values[o.node]!;
  return out;
}
