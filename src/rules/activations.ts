/**
 * Activation rules: σ and its derivatives σ′…σ⁽ᵏ⁾ as Formulas in x, derived by mathjs. For the named
 * activations the derivation is stored (activation-table.ts, written by
 * scripts/write-activation-table.ts and checked against a fresh derivation by the tests), so a model
 * of named activations never loads mathjs, whose loading and `simplify` cost seconds.
 *
 * Named activations are written in forms whose derivatives stay finite in float32: the logistic
 * function as (1 + tanh(x/2))/2 (mathjs' derivatives of 1/(1+e^{−x}) contain e^{−x}/(1+e^{−x})², which is
 * ∞/∞ for x ≪ 0), and softplus through its derivative, the logistic function.
 */
import type { MathNode } from "mathjs";
import type { Activation, NamedActivation } from "../model/types.js";
import { ACTIVATION_TABLE, ACTIVATION_TABLE_ORDER } from "./activation-table.js";
import type { Formula } from "./formula.js";
import { parseFormulaText } from "./formula-text.js";
import { mathjs } from "./mathjs.js";
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
  const { derivative, parse, simplify } = mathjs();
  const rule: ActivationRule = a.kind === "named" ? NAMED[a.name] : { value: a.formula };
  const chain: MathNode[] = [simplify(parse(rule.value))];
  if (maxOrder >= 1) chain.push(rule.derivative ? simplify(parse(rule.derivative)) : derivative(chain[0]!, "x"));
  while (chain.length <= maxOrder) chain.push(derivative(chain[chain.length - 1]!, "x"));
  return chain;
}

/** σ and its derivatives up to `maxOrder` derived afresh by mathjs (what the stored table holds for named activations). */
export function deriveActivation(a: Activation, maxOrder: number): Formula[] {
  return derivativeChain(a, maxOrder).map((node) => toFormula(node, { variables: ["x"] }));
}

/** The named activations in the stored table's order. */
export const NAMED_ACTIVATIONS = Object.keys(NAMED) as NamedActivation[];

const cache = new Map<string, Formula[]>();

/** σ and its derivatives up to `maxOrder`, as Formulas in the variable `x`. */
export function activationDerivatives(a: Activation, maxOrder: number): Formula[] {
  const key = `${JSON.stringify(a)}#${maxOrder}`;
  let result = cache.get(key);
  if (!result) {
    result =
      a.kind === "named" && maxOrder <= ACTIVATION_TABLE_ORDER
        ? ACTIVATION_TABLE[a.name].slice(0, maxOrder + 1).map(parseFormulaText)
        : deriveActivation(a, maxOrder);
    cache.set(key, result);
  }
  return result;
}
