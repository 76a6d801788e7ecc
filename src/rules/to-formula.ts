/**
 * mathjs expression trees → Formula. Functions without a TypeScript/WGSL counterpart (sech, csch,
 * coth, sec, csc, cot) are rewritten as reciprocals, since mathjs' derivatives produce them.
 */
import type { MathNode } from "mathjs";
import { binary, num, unary, variable, type BinaryFunction, type Formula, type UnaryFunction } from "./formula.js";

const OPERATORS: Record<string, BinaryFunction> = {
  add: "add",
  subtract: "sub",
  multiply: "mul",
  divide: "div",
  pow: "pow",
  dotMultiply: "mul",
  dotDivide: "div",
  dotPow: "pow",
};

const DIRECT: Record<string, UnaryFunction> = {
  sin: "sin",
  cos: "cos",
  tan: "tan",
  exp: "exp",
  log: "log",
  sqrt: "sqrt",
  tanh: "tanh",
  sinh: "sinh",
  cosh: "cosh",
  asin: "asin",
  acos: "acos",
  atan: "atan",
  asinh: "asinh",
  acosh: "acosh",
  atanh: "atanh",
};

/** Functions rewritten as 1 / f(x). */
const RECIPROCAL: Record<string, UnaryFunction> = {
  sech: "cosh",
  csch: "sinh",
  coth: "tanh",
  sec: "cos",
  csc: "sin",
  cot: "tan",
};

/** Thrown for a construct outside the supported set; callers turn it into a UserError with context. */
export class UnsupportedFormula extends Error {}

export interface ToFormulaOptions {
  /** Symbols replaced by numbers (model constants, plus pi and e). */
  constants?: Record<string, number>;
  /** Symbols kept as variables. */
  variables: readonly string[];
}

export function toFormula(node: MathNode, opts: ToFormulaOptions): Formula {
  const constants: Record<string, number> = { pi: Math.PI, e: Math.E, ...opts.constants };
  const walk = (n: MathNode): Formula => {
    switch (n.type) {
      case "ConstantNode": {
        const v = Number((n as unknown as { value: unknown }).value);
        if (!Number.isFinite(v)) throw new UnsupportedFormula(`constant ${String(n)} is not a finite number`);
        return num(v);
      }
      case "SymbolNode": {
        const name = (n as unknown as { name: string }).name;
        if (opts.variables.includes(name)) return variable(name);
        const c = constants[name];
        if (c !== undefined) return num(c);
        throw new UnsupportedFormula(`unknown symbol '${name}'`);
      }
      case "ParenthesisNode":
        return walk((n as unknown as { content: MathNode }).content);
      case "OperatorNode": {
        const { fn, args } = n as unknown as { fn: string; args: MathNode[] };
        const parts = args.map(walk);
        if (fn === "unaryMinus" && parts.length === 1) return unary("neg", parts[0]!);
        if (fn === "unaryPlus" && parts.length === 1) return parts[0]!;
        const op = OPERATORS[fn];
        if (op === undefined || parts.length < 2) throw new UnsupportedFormula(`operator '${fn}' is not supported`);
        return parts.slice(1).reduce((acc, p) => binary(op, acc, p), parts[0]!);
      }
      case "FunctionNode": {
        const { fn, args } = n as unknown as { fn: { name: string }; args: MathNode[] };
        const name = fn.name;
        const parts = args.map(walk);
        if (name === "pow" && parts.length === 2) return binary("pow", parts[0]!, parts[1]!);
        if (parts.length !== 1) throw new UnsupportedFormula(`function '${name}' with ${parts.length} arguments is not supported`);
        const arg = parts[0]!;
        const direct = DIRECT[name];
        if (direct) return unary(direct, arg);
        const recip = RECIPROCAL[name];
        if (recip) return binary("div", num(1), unary(recip, arg));
        throw new UnsupportedFormula(`function '${name}' is not supported`);
      }
      default:
        throw new UnsupportedFormula(`expression '${String(n)}' (${n.type}) is not supported`);
    }
  };
  return walk(node);
}
