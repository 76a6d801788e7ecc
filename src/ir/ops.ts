/**
 * The scalar operations of the IR, each with its value and its derivative side by side.
 * `derivative(b, args, y)` returns ∂y/∂argᵢ as nodes built with `b`; reverse mode multiplies them
 * by the adjoint. Constant folding uses `evaluate`.
 */
/** What an op's derivative rule builds with: the scalar Builder, or the tensor plan (src/plan) for elementwise tensors. */
export interface Algebra {
  num(value: number): number;
  neg(a: number): number;
  add(a: number, b: number): number;
  sub(a: number, b: number): number;
  mul(a: number, b: number): number;
  div(a: number, b: number): number;
  pow(a: number, b: number): number;
  powi(a: number, k: number): number;
  unary(op: UnaryOp, a: number): number;
}
type NodeId = number;

export const OPS = [
  "const",
  "input",
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
  "powi",
  "asin",
  "acos",
  "atan",
  "asinh",
  "acosh",
  "atanh",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
] as const;
export type Op = (typeof OPS)[number];
export type UnaryOp =
  | "neg"
  | "sin"
  | "cos"
  | "tan"
  | "exp"
  | "log"
  | "sqrt"
  | "tanh"
  | "sinh"
  | "cosh"
  | "asin"
  | "acos"
  | "atan"
  | "asinh"
  | "acosh"
  | "atanh";
export type BinaryOp = "add" | "sub" | "mul" | "div" | "pow";

export interface OpRule {
  arity: 0 | 1 | 2;
  /** f64 value; `k` is powi's integer exponent. */
  evaluate(a: number, b: number, k: number): number;
  /** Partial derivatives with respect to each argument. */
  derivative(b: Algebra, args: NodeId[], y: NodeId, k: number): NodeId[];
}

const leaf: OpRule = {
  arity: 0,
  evaluate: () => Number.NaN,
  derivative: () => [],
};

export const RULES: Record<Op, OpRule> = {
  const: leaf,
  input: leaf,
  // Polynomial class.
  neg: { arity: 1, evaluate: (a) => -a, derivative: (b) => [b.num(-1)] },
  add: { arity: 2, evaluate: (a, c) => a + c, derivative: (b) => [b.num(1), b.num(1)] },
  sub: { arity: 2, evaluate: (a, c) => a - c, derivative: (b) => [b.num(1), b.num(-1)] },
  mul: { arity: 2, evaluate: (a, c) => a * c, derivative: (_b, [x, z]) => [z!, x!] },
  div: {
    arity: 2,
    evaluate: (a, c) => a / c,
    derivative: (b, [, z], y) => [b.div(b.num(1), z!), b.neg(b.div(y, z!))],
  },
  powi: {
    arity: 1,
    evaluate: (a, _c, k) => a ** k,
    derivative: (b, [x], _y, k) => [b.mul(b.num(k), b.powi(x!, k - 1))],
  },
  pow: {
    arity: 2,
    evaluate: (a, c) => a ** c,
    derivative: (b, [x, z], y) => [b.mul(z!, b.pow(x!, b.sub(z!, b.num(1)))), b.mul(y, b.unary("log", x!))],
  },
  // Exponential class: derivatives reuse the node's own value y.
  exp: { arity: 1, evaluate: Math.exp, derivative: (_b, _a, y) => [y] },
  log: { arity: 1, evaluate: Math.log, derivative: (b, [x]) => [b.div(b.num(1), x!)] },
  sqrt: { arity: 1, evaluate: Math.sqrt, derivative: (b, _a, y) => [b.div(b.num(0.5), y)] },
  // Trigonometric class.
  sin: { arity: 1, evaluate: Math.sin, derivative: (b, [x]) => [b.unary("cos", x!)] },
  cos: { arity: 1, evaluate: Math.cos, derivative: (b, [x]) => [b.neg(b.unary("sin", x!))] },
  tan: { arity: 1, evaluate: Math.tan, derivative: (b, _a, y) => [b.add(b.num(1), b.mul(y, y))] },
  // Hyperbolic class.
  tanh: { arity: 1, evaluate: Math.tanh, derivative: (b, _a, y) => [b.sub(b.num(1), b.mul(y, y))] },
  sinh: { arity: 1, evaluate: Math.sinh, derivative: (b, [x]) => [b.unary("cosh", x!)] },
  cosh: { arity: 1, evaluate: Math.cosh, derivative: (b, [x]) => [b.unary("sinh", x!)] },
  // Inverse functions: derivatives are algebraic in the argument.
  asin: { arity: 1, evaluate: Math.asin, derivative: (b, [x]) => [b.div(b.num(1), b.unary("sqrt", b.sub(b.num(1), b.powi(x!, 2))))] },
  acos: { arity: 1, evaluate: Math.acos, derivative: (b, [x]) => [b.div(b.num(-1), b.unary("sqrt", b.sub(b.num(1), b.powi(x!, 2))))] },
  atan: { arity: 1, evaluate: Math.atan, derivative: (b, [x]) => [b.div(b.num(1), b.add(b.num(1), b.powi(x!, 2)))] },
  asinh: { arity: 1, evaluate: Math.asinh, derivative: (b, [x]) => [b.div(b.num(1), b.unary("sqrt", b.add(b.powi(x!, 2), b.num(1))))] },
  acosh: { arity: 1, evaluate: Math.acosh, derivative: (b, [x]) => [b.div(b.num(1), b.unary("sqrt", b.sub(b.powi(x!, 2), b.num(1))))] },
  atanh: { arity: 1, evaluate: Math.atanh, derivative: (b, [x]) => [b.div(b.num(1), b.sub(b.num(1), b.powi(x!, 2)))] },
};
