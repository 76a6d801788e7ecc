/**
 * Curvature of the pullback metric g = JᵀJ, assembled from inner products of decoder jet columns,
 * ⟨∂^αΨ, ∂^βΨ⟩ (the "Gram" entries). Two routes (docs/mathematics.md §3):
 *
 *  A, intrinsic: g, ∂g, ∂²g → Christoffel symbols Γ^i_kl = ½ g^{im}(∂_l g_mk + ∂_k g_ml − ∂_m g_kl),
 *     Riemann R^i_jkl = ∂_kΓ^i_lj − ∂_lΓ^i_kj + Γ^i_kp Γ^p_lj − Γ^i_lp Γ^p_kj, Ricci_ab = R^c_acb,
 *     R = g^{ab} Ricci_ab. Needs ∇³Ψ.
 *  B, extrinsic (Gauss equation): with n_ij the normal part of H_ij,
 *     ⟨n_ij, n_kl⟩ = ⟨H_ij, H_kl⟩ − ⟨JᵀH_ij, g⁻¹ JᵀH_kl⟩ and R = Σ (g^{ij}g^{kl} − g^{ik}g^{jl}) ⟨n_ij, n_kl⟩,
 *     i.e. |H|² − |II|². Needs only ∇²Ψ.
 */
import type { Builder, NodeId } from "./graph.js";
import type { MultiIndex } from "./jets.js";

/** Returns the node for ⟨∂^αΨ, ∂^βΨ⟩ (α, β unsorted, non-empty). */
export type Gram = (alpha: MultiIndex, beta: MultiIndex) => NodeId;

type Matrix = NodeId[][];

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export interface MetricParts {
  g: Matrix;
  ginv: Matrix;
  det: NodeId;
}

/** g, det g and g⁻¹: closed form for d ≤ 2, LDLᵀ (g is symmetric positive definite) beyond. */
export function metric(b: Builder, d: number, gram: Gram): MetricParts {
  const g = range(d).map((i) => range(d).map((j) => gram([i], [j])));
  if (d === 1) {
    const det = g[0]![0]!;
    return { g, det, ginv: [[b.div(b.num(1), det)]] };
  }
  if (d === 2) {
    const [[a, c], [, e]] = g as [[NodeId, NodeId], [NodeId, NodeId]];
    const det = b.sub(b.mul(a, e), b.mul(c, c));
    const r = b.div(b.num(1), det);
    const off = b.neg(b.mul(c, r));
    return {
      g,
      det,
      ginv: [
        [b.mul(e, r), off],
        [off, b.mul(a, r)],
      ],
    };
  }
  const L: Matrix = range(d).map(() => range(d).map(() => b.num(0)));
  const D: NodeId[] = [];
  for (let j = 0; j < d; j++) {
    D[j] = b.sub(g[j]![j]!, b.sum(range(j).map((k) => b.mul(b.powi(L[j]![k]!, 2), D[k]!))));
    L[j]![j] = b.num(1);
    for (let i = j + 1; i < d; i++) {
      const s = b.sum(range(j).map((k) => b.mul(b.mul(L[i]![k]!, L[j]![k]!), D[k]!)));
      L[i]![j] = b.div(b.sub(g[i]![j]!, s), D[j]!);
    }
  }
  // M = L⁻¹ (unit lower triangular); g⁻¹ = Mᵀ D⁻¹ M.
  const M: Matrix = range(d).map((i) => range(d).map((j) => b.num(i === j ? 1 : 0)));
  for (let i = 0; i < d; i++)
    for (let j = 0; j < i; j++) M[i]![j] = b.neg(b.sum(range(i - j).map((t) => b.mul(L[i]![j + t]!, M[j + t]![j]!))));
  const Dinv = D.map((x) => b.div(b.num(1), x));
  const ginv: Matrix = range(d).map(() => []);
  for (let a = 0; a < d; a++)
    for (let c = a; c < d; c++) {
      const v = b.sum(
        range(d)
          .filter((k) => k >= c)
          .map((k) => b.mul(b.mul(M[k]![a]!, M[k]![c]!), Dinv[k]!)),
      );
      ginv[a]![c] = v;
      ginv[c]![a] = v;
    }
  return { g, det: b.product(D), ginv };
}

export interface IntrinsicParts extends MetricParts {
  /** Γ[i][k][l] = Γ^i_kl. */
  christoffel: NodeId[][][];
  /** riemann[i][j][k][l] = R^i_jkl. */
  riemann: NodeId[][][][];
  ricci: Matrix;
  scalar: NodeId;
}

/** Route A. `withDerivatives` = false stops after Γ (which needs only ∇²Ψ). */
export function intrinsic(b: Builder, d: number, gram: Gram, m: MetricParts = metric(b, d, gram)): IntrinsicParts {
  const R = range(d);
  const half = b.num(0.5);
  // ∂_k g_ij and ∂_kl g_ij from Gram entries of J, H, T.
  const dg = (i: number, j: number, k: number): NodeId => b.add(gram([k, i], [j]), gram([i], [k, j]));
  const ddg = (i: number, j: number, k: number, l: number): NodeId =>
    b.sum([gram([k, l, i], [j]), gram([k, i], [l, j]), gram([l, i], [k, j]), gram([i], [k, l, j])]);
  const first = (mm: number, k: number, l: number): NodeId => b.mul(half, b.sub(b.add(dg(mm, k, l), dg(mm, l, k)), dg(k, l, mm)));
  const dFirst = (j: number, mm: number, k: number, l: number): NodeId =>
    b.mul(half, b.sub(b.add(ddg(mm, k, l, j), ddg(mm, l, k, j)), ddg(k, l, mm, j)));
  // ∂_j g⁻¹ = −g⁻¹ (∂_j g) g⁻¹.
  const dginv = R.map((j) =>
    R.map((a) => R.map((c) => b.neg(b.sum(R.flatMap((p) => R.map((q) => b.mul(b.mul(m.ginv[a]![p]!, dg(p, q, j)), m.ginv[q]![c]!))))))),
  );
  const christoffel = R.map((i) => R.map((k) => R.map((l) => b.sum(R.map((mm) => b.mul(m.ginv[i]![mm]!, first(mm, k, l)))))));
  // dGamma[j][i][k][l] = ∂_j Γ^i_kl.
  const dGamma = R.map((j) =>
    R.map((i) =>
      R.map((k) =>
        R.map((l) => b.sum(R.flatMap((mm) => [b.mul(dginv[j]![i]![mm]!, first(mm, k, l)), b.mul(m.ginv[i]![mm]!, dFirst(j, mm, k, l))]))),
      ),
    ),
  );
  const G = (i: number, k: number, l: number): NodeId => christoffel[i]![k]![l]!;
  const riemann = R.map((i) =>
    R.map((j) =>
      R.map((k) =>
        R.map((l) =>
          b.add(
            b.sub(dGamma[k]![i]![l]![j]!, dGamma[l]![i]![k]![j]!),
            b.sum(R.map((p) => b.sub(b.mul(G(i, k, p), G(p, l, j)), b.mul(G(i, l, p), G(p, k, j))))),
          ),
        ),
      ),
    ),
  );
  const ricci = R.map((a) => R.map((c) => b.sum(R.map((x) => riemann[x]![a]![x]![c]!))));
  const scalar = b.sum(R.flatMap((a) => R.map((c) => b.mul(m.ginv[a]![c]!, ricci[a]![c]!))));
  return { ...m, christoffel, riemann, ricci, scalar };
}

/** Christoffel symbols of the second kind only (needs ∇²Ψ): Γ^i_kl = g^{im} ⟨J_m, H_kl⟩. */
export function christoffelOnly(b: Builder, d: number, gram: Gram, m: MetricParts): NodeId[][][] {
  const R = range(d);
  return R.map((i) => R.map((k) => R.map((l) => b.sum(R.map((mm) => b.mul(m.ginv[i]![mm]!, gram([mm], [k, l])))))));
}

/** Route B: scalar curvature from the Gauss equation. */
export function extrinsicScalar(b: Builder, d: number, gram: Gram, m: MetricParts = metric(b, d, gram)): NodeId {
  const R = range(d);
  const pairs = R.flatMap((i) => R.map((j) => [i, j] as const));
  // JᵀH_ij and its g⁻¹-image.
  const proj = new Map<string, NodeId[]>();
  const tangent = (i: number, j: number): NodeId[] => R.map((mm) => gram([mm], [i, j]));
  for (const [i, j] of pairs) {
    const t = tangent(i, j);
    proj.set(
      `${i},${j}`,
      R.map((mm) => b.sum(R.map((n) => b.mul(m.ginv[mm]![n]!, t[n]!)))),
    );
  }
  const normalDot = (i: number, j: number, k: number, l: number): NodeId => {
    const t = tangent(i, j);
    const p = proj.get(`${k},${l}`)!;
    return b.sub(gram([i, j], [k, l]), b.sum(R.map((mm) => b.mul(t[mm]!, p[mm]!))));
  };
  const terms: NodeId[] = [];
  for (const [i, j] of pairs)
    for (const [k, l] of pairs) {
      const coeff = b.sub(b.mul(m.ginv[i]![j]!, m.ginv[k]![l]!), b.mul(m.ginv[i]![k]!, m.ginv[j]![l]!));
      terms.push(b.mul(coeff, normalDot(i, j, k, l)));
    }
  return b.sum(terms);
}
