/**
 * Jets: a value with all its partial derivatives up to order k in d latent variables.
 *
 * Columns are symmetric multi-indices stored once, as sorted index lists, in graded order:
 * [], [0], …, [d−1], [0,0], [0,1], …, [d−1,d−1], [0,0,0], … — 1 + d + d(d+1)/2 + d(d+1)(d+2)/6
 * columns for k = 3.
 *
 * A linear layer maps every column by W (the bias only touches the value). An elementwise function
 * y = σ(a) follows Faà di Bruno's formula over set partitions π of the positions of α:
 *
 *     ∂^α y = Σ_π σ^(|π|)(a) · Π_{B ∈ π} ∂^{α_B} a,
 *
 * which for |α| = 3 gives σ‴a_i a_j a_k + σ″(a_ij a_k + a_ik a_j + a_jk a_i) + σ′a_ijk.
 */
import type { Builder, NodeId } from "./graph.js";

export type MultiIndex = readonly number[];

export const columnKey = (alpha: MultiIndex): string => alpha.join(",");

/** All sorted multi-indices of order ≤ k in d variables, in graded order. */
export function jetColumns(d: number, k: number): MultiIndex[] {
  const cols: MultiIndex[] = [[]];
  let previous: MultiIndex[] = [[]];
  for (let order = 1; order <= k; order++) {
    const next: MultiIndex[] = [];
    for (const alpha of previous) {
      const start = alpha.length ? alpha[alpha.length - 1]! : 0;
      for (let i = start; i < d; i++) next.push([...alpha, i]);
    }
    cols.push(...next);
    previous = next;
  }
  return cols;
}

/** Column position of each multi-index key. */
export function columnIndex(cols: readonly MultiIndex[]): Map<string, number> {
  return new Map(cols.map((c, i) => [columnKey(c), i]));
}

/** Sort a multi-index into its stored form. */
export const canonical = (alpha: MultiIndex): number[] => [...alpha].sort((a, b) => a - b);

/** All set partitions of {0, …, m−1}, each a list of blocks of positions. */
export function setPartitions(m: number): number[][][] {
  if (m === 0) return [[]];
  const result: number[][][] = [];
  for (const p of setPartitions(m - 1)) {
    // Element m−1 joins each existing block, or starts its own.
    p.forEach((_, i) => result.push(p.map((block, j) => (j === i ? [...block, m - 1] : block))));
    result.push([...p, [m - 1]]);
  }
  return result;
}

/** A jet as one node per column. */
export type Jet = NodeId[];

/**
 * The jet of σ(a) given the jet of a and nodes for σ, σ′, …, σ⁽ᵏ⁾ evaluated at a's value.
 */
export function composeJet(b: Builder, cols: readonly MultiIndex[], a: Jet, sigma: readonly NodeId[]): Jet {
  const index = columnIndex(cols);
  const at = (alpha: MultiIndex): NodeId => a[index.get(columnKey(canonical(alpha)))!]!;
  return cols.map((alpha) => {
    if (alpha.length === 0) return sigma[0]!;
    const terms = setPartitions(alpha.length).map((partition) =>
      b.mul(sigma[partition.length]!, b.product(partition.map((block) => at(block.map((pos) => alpha[pos]!))))),
    );
    return b.sum(terms);
  });
}

/** The jet of latent coordinate i: value z_i, ∂_i = 1, everything else 0. */
export function coordinateJet(b: Builder, cols: readonly MultiIndex[], i: number, value: NodeId): Jet {
  return cols.map((alpha) => (alpha.length === 0 ? value : alpha.length === 1 && alpha[0] === i ? b.num(1) : b.num(0)));
}
