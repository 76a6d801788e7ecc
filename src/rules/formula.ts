/**
 * Formula: the plain expression tree the rules layer hands to the IR. It uses only functions that
 * exist both in TypeScript (`Math.*`) and in WGSL, so that no emitter needs a polyfill.
 */
export const UNARY_FUNCTIONS = [
  "neg",
  "sin",
  "cos",
  "tan",
  "exp",
  "log",
  "sqrt",
  "tanh",
  "sinh",
  "cosh",
  "asin",
  "acos",
  "atan",
  "asinh",
  "acosh",
  "atanh",
] as const;
export type UnaryFunction = (typeof UNARY_FUNCTIONS)[number];
export const BINARY_FUNCTIONS = ["add", "sub", "mul", "div", "pow"] as const;
export type BinaryFunction = (typeof BINARY_FUNCTIONS)[number];

export type Formula =
  | { op: "num"; value: number }
  | { op: "var"; name: string }
  | { op: UnaryFunction; args: [Formula] }
  | { op: BinaryFunction; args: [Formula, Formula] };

export const num = (value: number): Formula => ({ op: "num", value });
export const variable = (name: string): Formula => ({ op: "var", name });
export const unary = (op: UnaryFunction, a: Formula): Formula => ({ op, args: [a] });
export const binary = (op: BinaryFunction, a: Formula, b: Formula): Formula => ({ op, args: [a, b] });
