/**
 * Activation rules: σ and its derivatives σ′…σ⁽ᵏ⁾ as Formulas in x, derived by mathjs.
 *
 * Named activations are written in forms whose derivatives stay finite in float32: the logistic
 * function as (1 + tanh(x/2))/2 (mathjs' derivatives of 1/(1+e^{−x}) contain e^{−x}/(1+e^{−x})², which is
 * ∞/∞ for x ≪ 0), and softplus through its derivative, the logistic function.
 */
import { derivative, parse, simplify, type MathNode } from "mathjs";
import type { Activation, NamedActivation } from "../model/types.js";
import type { Formula } from "./formula.js";
import { toFormula } from "./to-formula.js";

interface ActivationRule {
  /** σ(x). */
  value: string;
  /** σ′(x), when a better-conditioned form than mathjs' derivative of `value` exists. */
  derivative?: string;
}

const LOGISTIC = "(1 + tanh(x / 2)) / 2";

const NAMED: Record<NamedActivation, ActivationRule> = {
  tanh: { value: "tanh(x)" },
  sin: { value: "sin(x)" },
  cos: { value: "cos(x)" },
  linear: { value: "x" },
  sigmoid: { value: LOGISTIC },
  softplus: { value: "x / 2 + log(2 * cosh(x / 2))", derivative: LOGISTIC },
  silu: { value: `x * ${LOGISTIC}` },
  gelu: { value: "x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ^ 3)))" },
};

export function activationSource(a: Activation): string {
  return a.kind === "named" ? NAMED[a.name].value : a.formula;
}

/** [σ, σ′, …, σ⁽ᵐᵃˣᴼʳᵈᵉʳ⁾] as mathjs trees. */
function derivativeChain(a: Activation, maxOrder: number): MathNode[] {
  const rule: ActivationRule = a.kind === "named" ? NAMED[a.name] : { value: a.formula };
  const chain: MathNode[] = [simplify(parse(rule.value))];
  if (maxOrder >= 1) chain.push(rule.derivative ? simplify(parse(rule.derivative)) : derivative(chain[0]!, "x"));
  while (chain.length <= maxOrder) chain.push(derivative(chain[chain.length - 1]!, "x"));
  return chain;
}

const cache = new Map<string, Formula[]>();

/** σ and its derivatives up to `maxOrder`, as Formulas in the variable `x`. */
export function activationDerivatives(a: Activation, maxOrder: number): Formula[] {
  const key = `${JSON.stringify(a)}#${maxOrder}`;
  let result = cache.get(key);
  if (!result) {
    result = derivativeChain(a, maxOrder).map((node) => toFormula(node, { variables: ["x"] }));
    cache.set(key, result);
  }
  return result;
}
