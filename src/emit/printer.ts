/**
 * The C-style printer shared by every text target: one straight-line statement per live DAG node.
 * A target is a Dialect — how to write a literal, a function call and a declaration.
 */
import { schedule, type ScalarBlock } from "../ir/block.js";
import type { NodeId } from "../ir/graph.js";
import type { UnaryOp } from "../ir/ops.js";

export interface Dialect {
  literal(value: number): string;
  call(fn: Exclude<UnaryOp, "neg">, arg: string): string;
  pow(base: string, exponent: string): string;
  declare(name: string, expr: string): string;
  /**
   * Optional: how to print +, −, ×, ÷ (default: infix `a op b`). Tensor targets (tfjs) print them
   * as function calls.
   */
  binary?(op: "add" | "sub" | "mul" | "div", a: string, b: string): string;
  /** Optional: how to print −a (default: `-a`). */
  negate?(a: string): string;
  /** Optional: how to print a^k for an integer k ≠ 0, 1 (default: repeated multiplication). */
  powi?(x: string, k: number): string;
}

const INFIX = { add: "+", sub: "-", mul: "*", div: "/" } as const;

/** x^k by multiplication (WGSL's pow is undefined for x < 0). */
function powi(x: string, k: number, dialect: Dialect): string {
  const n = Math.abs(k);
  const product = `(${Array.from({ length: n }, () => x).join(" * ")})`;
  return k > 0 ? product : `(${dialect.literal(1)} / ${product})`;
}

export interface PrintedBlock {
  statements: string[];
  /** Expression for each output, in block order. */
  outputs: string[];
}

/**
 * Print a block. `input(name)` gives the expression for an input; temporaries are named
 * `${prefix}${id}` so that several blocks can share one function body.
 */
export function printBlock(block: ScalarBlock, dialect: Dialect, input: (name: string) => string, prefix = "t"): PrintedBlock {
  const expr = new Map<NodeId, string>();
  const statements: string[] = [];
  const ref = (id: NodeId): string => expr.get(id)!;
  for (const id of schedule(block)) {
    const n = block.b.node(id);
    if (n.op === "const") {
      expr.set(id, dialect.literal(n.value));
      continue;
    }
    if (n.op === "input") {
      expr.set(id, input(n.name));
      continue;
    }
    const [a, c] = n.args.map(ref) as [string, string | undefined];
    let value: string;
    switch (n.op) {
      case "add":
      case "sub":
      case "mul":
      case "div":
        value = dialect.binary ? dialect.binary(n.op, a, c!) : `${a} ${INFIX[n.op]} ${c}`;
        break;
      case "neg":
        value = dialect.negate ? dialect.negate(a) : `-${a}`;
        break;
      case "powi":
        value = dialect.powi ? dialect.powi(a, n.value) : powi(a, n.value, dialect);
        break;
      case "pow":
        value = dialect.pow(a, c!);
        break;
      default:
        value = dialect.call(n.op, a);
    }
    const name = `${prefix}${id}`;
    statements.push(dialect.declare(name, value));
    expr.set(id, name);
  }
  return { statements, outputs: block.outputs.map((o) => ref(o.node)) };
}
