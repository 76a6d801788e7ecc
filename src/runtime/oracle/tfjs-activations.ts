/**
 * Activations and formulas as tfjs ops, for the autograd oracle (tfjs-autograd.ts). Nothing here is
 * shared with the compiler: formulas are parsed with mathjs and mapped node by node onto tf ops, and
 * every derivative comes from tfjs autograd.
 *
 * tfjs's own gradients of Tanh, Sigmoid and Exp reuse the kernel's saved *output*. That saved tensor is
 * a detached clone, so a nested tf.grad cannot see through it: from order 2 it either throws ("Cannot
 * compute gradient of y=f(x)…") or silently drops terms, and Softplus (whose gradient is sigmoid(x))
 * inherits the problem at order 3. `installHigherOrderGradients` re-registers those four gradients so
 * that they recompute from the saved input; nesting then works to any order.
 */
import * as tf from "@tensorflow/tfjs";
import { parse, type MathNode } from "mathjs";
import type { Activation, NamedActivation } from "../../model/types.js";
import { UserError } from "../../util/errors.js";

const recomputed: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  Tanh: (x) => tf.sub(1, tf.square(tf.tanh(x))),
  Sigmoid: (x) => {
    const s = tf.sigmoid(x);
    return tf.mul(s, tf.sub(1, s));
  },
  Exp: (x) => tf.exp(x),
  Softplus: (x) => tf.sigmoid(x),
};

let defaults: tf.GradConfig[] | null = null;

/** Re-register the gradients of Tanh, Sigmoid, Exp and Softplus to recompute from x (idempotent). */
export function installHigherOrderGradients(): void {
  if (defaults !== null) return;
  defaults = Object.keys(recomputed).map((name) => tf.getGradient(name));
  for (const [kernelName, derivative] of Object.entries(recomputed)) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ["x"],
      gradFunc: (dy, saved) => {
        const [x] = saved;
        if (x === undefined || Array.isArray(dy)) throw new Error(`${kernelName} gradient: unexpected arguments`);
        return { x: () => tf.mul(dy, derivative(x)) };
      },
    });
  }
}

/** Put tfjs's stock gradients back (only to demonstrate the failure mode they have; see the tests). */
export function restoreDefaultGradients(): void {
  if (defaults === null) return;
  for (const config of defaults) tf.registerGradient(config);
  defaults = null;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const named: Record<NamedActivation, (x: tf.Tensor) => tf.Tensor> = {
  tanh: (x) => tf.tanh(x),
  sin: (x) => tf.sin(x),
  cos: (x) => tf.cos(x),
  softplus: (x) => tf.softplus(x),
  sigmoid: (x) => tf.sigmoid(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  gelu: (x) => {
    const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  },
  linear: (x) => x,
};

/** An activation as an elementwise tfjs function. */
export function tfActivation(activation: Activation, where = "activation"): (x: tf.Tensor) => tf.Tensor {
  if (activation.kind === "named") return named[activation.name];
  const f = compileFormula(activation.formula, ["x"], {}, where);
  return (x) => f([x]);
}

/** Functions allowed in formulas: the tf op, and its float64 value for constant arguments. */
const unary: Record<string, [(x: tf.Tensor) => tf.Tensor, (x: number) => number]> = {
  sin: [tf.sin, Math.sin],
  cos: [tf.cos, Math.cos],
  tan: [tf.tan, Math.tan],
  exp: [tf.exp, Math.exp],
  log: [tf.log, Math.log],
  sqrt: [tf.sqrt, Math.sqrt],
  tanh: [tf.tanh, Math.tanh],
  sinh: [tf.sinh, Math.sinh],
  cosh: [tf.cosh, Math.cosh],
};

/** x^k for an integer k by repeated multiplication (exact to every derivative order, unlike tf.pow). */
function integerPower(x: tf.Tensor, k: number): tf.Tensor {
  if (k < 0) return tf.div(1, integerPower(x, -k));
  let result: tf.Tensor = tf.onesLike(x);
  let base = x;
  for (let e = k; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = tf.mul(result, base);
    if (e > 1) base = tf.square(base);
  }
  return result;
}

/**
 * Compile a mathjs formula in `variables` (plus named constants, pi and e) to a tfjs function of one
 * tensor per variable. Results broadcast like the inputs; a formula without variables is a scalar.
 */
export function compileFormula(
  formula: string,
  variables: readonly string[],
  constants: Readonly<Record<string, number>>,
  where = "formula",
): (vars: readonly tf.Tensor[]) => tf.Tensor {
  let root: MathNode;
  try {
    root = parse(formula);
  } catch (e) {
    throw new UserError(where, `cannot parse "${formula}": ${(e as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new UserError(where, `${what} in "${formula}" (allowed: + - * / ^, ${Object.keys(unary).join(" ")}, pi, e)`);
  };
  const known: Record<string, number> = { pi: Math.PI, e: Math.E, ...constants };

  // Constant subtrees fold to numbers; anything touching a variable becomes a tensor op.
  type Value = number | ((vars: readonly tf.Tensor[]) => tf.Tensor);
  const lift = (v: Value): ((vars: readonly tf.Tensor[]) => tf.Tensor) => (typeof v === "number" ? () => tf.scalar(v) : v);
  const binary = (a: Value, b: Value, num: (p: number, q: number) => number, op: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor): Value => {
    if (typeof a === "number" && typeof b === "number") return num(a, b);
    const fa = lift(a);
    const fb = lift(b);
    return (vars) => op(fa(vars), fb(vars));
  };

  const walk = (node: MathNode): Value => {
    switch (node.type) {
      case "ParenthesisNode":
        return walk((node as unknown as { content: MathNode }).content);
      case "ConstantNode": {
        const value = (node as unknown as { value: unknown }).value;
        return typeof value === "number" ? value : fail(`constant ${String(value)}`);
      }
      case "SymbolNode": {
        const name = (node as unknown as { name: string }).name;
        const index = variables.indexOf(name);
        if (index >= 0)
          return (vars) => {
            const v = vars[index];
            if (v === undefined) throw new Error(`formula needs variable ${name}`);
            return v;
          };
        const value = Object.hasOwn(known, name) ? known[name] : undefined;
        return typeof value === "number" ? value : fail(`unknown symbol "${name}"`);
      }
      case "OperatorNode": {
        const { fn, args } = node as unknown as { fn: string; args: MathNode[] };
        const [a, b] = args.map(walk);
        if (a === undefined) return fail(`operator ${fn} without operands`);
        if (args.length === 1) {
          if (fn === "unaryMinus") return typeof a === "number" ? -a : (vars) => tf.neg(a(vars));
          if (fn === "unaryPlus") return a;
          return fail(`operator ${fn}`);
        }
        if (b === undefined || args.length !== 2) return fail(`operator ${fn}`);
        switch (fn) {
          case "add":
            return binary(a, b, (p, q) => p + q, tf.add);
          case "subtract":
            return binary(a, b, (p, q) => p - q, tf.sub);
          case "multiply":
            return binary(a, b, (p, q) => p * q, tf.mul);
          case "divide":
            return binary(a, b, (p, q) => p / q, tf.div);
          case "pow": {
            if (typeof b === "number" && Number.isInteger(b) && Math.abs(b) <= 64) {
              return typeof a === "number" ? a ** b : (vars) => integerPower(a(vars), b);
            }
            // a^b = exp(b·log a): tf.pow's gradient reuses its saved output, which breaks nesting.
            return binary(
              a,
              b,
              (p, q) => p ** q,
              (p, q) => tf.exp(tf.mul(q, tf.log(p))),
            );
          }
          default:
            return fail(`operator ${fn}`);
        }
      }
      case "FunctionNode": {
        const { fn, args } = node as unknown as { fn: { name?: string }; args: MathNode[] };
        const ops = fn.name !== undefined && Object.hasOwn(unary, fn.name) ? unary[fn.name] : undefined;
        const arg = args.length === 1 && args[0] !== undefined ? walk(args[0]) : undefined;
        if (ops === undefined || arg === undefined) return fail(`function ${fn.name ?? "?"}/${args.length}`);
        const [op, num] = ops;
        return typeof arg === "number" ? num(arg) : (vars) => op(arg(vars));
      }
      default:
        return fail(`unsupported ${node.type}`);
    }
  };
  return lift(walk(root));
}
