/**
 * Analytic decoders: ∂^α Ψ_k for every output formula and multi-index α, differentiated by mathjs.
 */
import type { MathNode } from "mathjs";
import type { AnalyticDecoder } from "../model/types.js";
import type { Formula } from "./formula.js";
import { mathjs } from "./mathjs.js";
import { toFormula } from "./to-formula.js";

/**
 * For each formula, a map from multi-index key (sorted variable indices joined by ',' — '' for the
 * value) to the derivative as a Formula. `multiIndices` must be closed under dropping the last index.
 */
export function analyticDerivatives(decoder: AnalyticDecoder, multiIndices: readonly (readonly number[])[]): Map<string, Formula>[] {
  const { derivative, parse, simplify } = mathjs();
  const opts = { variables: decoder.variables, constants: decoder.constants };
  return decoder.formulas.map((source) => {
    const trees = new Map<string, MathNode>();
    const out = new Map<string, Formula>();
    for (const alpha of multiIndices) {
      const key = alpha.join(",");
      let tree: MathNode;
      if (alpha.length === 0) tree = simplify(parse(source));
      else {
        const parent = trees.get(alpha.slice(0, -1).join(","));
        if (!parent) throw new Error(`multi-index ${key} listed before its parent`);
        tree = derivative(parent, decoder.variables[alpha[alpha.length - 1]!]!);
      }
      trees.set(key, tree);
      out.set(key, toFormula(tree, opts));
    }
    return out;
  });
}
