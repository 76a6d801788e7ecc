/**
 * The naive way, for `ricci-gen bench` only: the same curvature loss with ∂Ψ, ∂²Ψ (and ∂³Ψ for
 * route A) from nested tfjs autograd, as the reference work does with nested jacfwd: one tf.grad
 * per output component and index, each level re-running the one below, and the weight gradient
 * one more reverse pass through all of it. R is then assembled from those tensors by plain tensor
 * code (no generated kernels). Needs the re-registered higher-order gradients of the oracle
 * (installHigherOrderGradients) for tanh, sigmoid, softplus and exp. d ≤ 2.
 */
import * as tf from "@tensorflow/tfjs";

type T = tf.Tensor;
type Fn = (z: T) => T;

const col = (x: T, i: number): T => tf.reshape(tf.slice(x, [0, i], [-1, 1]), [-1]);

/** J[a][i], H[a][i][j], T[a][i][j][k] as [n] tensors, by nested tf.grad of psi: [n, d] → [n, D]. */
export function nestedDerivatives(psi: Fn, z: T, D: number, d: number, order: 2 | 3): { J: T[][]; H: T[][][]; T3: T[][][][] | null } {
  const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
  const grad =
    (f: (y: T) => T): Fn =>
    (zz) =>
      tf.grad((y: T) => tf.sum(f(y)))(zz);
  const level1 = range(D).map((a) => grad((y) => col(psi(y), a)));
  const level2 = level1.map((g) => range(d).map((i) => grad((y) => col(g(y), i))));
  const J = level1.map((g) => {
    const v = g(z);
    return range(d).map((i) => col(v, i));
  });
  const H = level2.map((gs) =>
    gs.map((g) => {
      const v = g(z);
      return range(d).map((j) => col(v, j));
    }),
  );
  if (order === 2) return { J, H, T3: null };
  const T3 = level2.map((gs) =>
    gs.map((g) =>
      range(d).map((j) => {
        const v = grad((y) => col(g(y), j))(z);
        return range(d).map((k) => col(v, k));
      }),
    ),
  );
  return { J, H, T3 };
}

const sumOver = (D: number, term: (a: number) => T): T => tf.addN(Array.from({ length: D }, (_, a) => term(a)));

/** R and √det g from nested-autograd derivatives (d ≤ 2), route A (intrinsic) or B (Gauss). */
export function naiveScalarCurvature(J: T[][], H: T[][][], T3: T[][][][] | null, D: number, d: number): { R: T; sqrtdetg: T } {
  if (d > 2) throw new Error("the naive bench path supports d ≤ 2");
  const R_ = Array.from({ length: d }, (_, i) => i);
  const j = (a: number, i: number): T => J[a]![i]!;
  const h = (a: number, i: number, k: number): T => H[a]![i]![k]!;
  const g = R_.map((i) => R_.map((k) => sumOver(D, (a) => tf.mul(j(a, i), j(a, k)))));
  const det = d === 1 ? g[0]![0]! : tf.sub(tf.mul(g[0]![0]!, g[1]![1]!), tf.square(g[0]![1]!));
  const inv = tf.div(1, det);
  const gi =
    d === 1
      ? [[inv]]
      : [
          [tf.mul(g[1]![1]!, inv), tf.neg(tf.mul(g[0]![1]!, inv))],
          [tf.neg(tf.mul(g[0]![1]!, inv)), tf.mul(g[0]![0]!, inv)],
        ];
  const G = (i: number, k: number): T => gi[i]![k]!;
  const sqrtdetg = tf.sqrt(det);
  if (!T3) {
    // Route B: ⟨n_ij, n_kl⟩ = ⟨H_ij, H_kl⟩ − (JᵀH_ij)ᵀ g⁻¹ (JᵀH_kl); R = Σ (g^{ij}g^{kl} − g^{ik}g^{jl}) ⟨n_ij, n_kl⟩.
    const tan = (i: number, k: number): T[] => R_.map((m) => sumOver(D, (a) => tf.mul(j(a, m), h(a, i, k))));
    const nn = (p: number, q: number, r: number, s: number): T => {
      const t1 = tan(p, q);
      const t2 = tan(r, s);
      let proj: T = tf.zerosLike(det);
      for (const m of R_) for (const n of R_) proj = tf.add(proj, tf.mul(tf.mul(t1[m]!, G(m, n)), t2[n]!));
      return tf.sub(
        sumOver(D, (a) => tf.mul(h(a, p, q), h(a, r, s))),
        proj,
      );
    };
    const terms: T[] = [];
    for (const p of R_)
      for (const q of R_)
        for (const r of R_)
          for (const s of R_) terms.push(tf.mul(tf.sub(tf.mul(G(p, q), G(r, s)), tf.mul(G(p, r), G(q, s))), nn(p, q, r, s)));
    return { R: tf.addN(terms), sqrtdetg };
  }
  // Route A, as in the float64 oracle but on tensors.
  const t = (a: number, i: number, k: number, l: number): T => T3[a]![i]![k]![l]!;
  const dg = R_.map((k) =>
    R_.map((i) => R_.map((m) => sumOver(D, (a) => tf.add(tf.mul(h(a, k, i), j(a, m)), tf.mul(j(a, i), h(a, k, m)))))),
  );
  const ddg = R_.map((k) =>
    R_.map((l) =>
      R_.map((i) =>
        R_.map((m) =>
          sumOver(D, (a) =>
            tf.addN([
              tf.mul(t(a, k, l, i), j(a, m)),
              tf.mul(h(a, k, i), h(a, l, m)),
              tf.mul(h(a, l, i), h(a, k, m)),
              tf.mul(j(a, i), t(a, k, l, m)),
            ]),
          ),
        ),
      ),
    ),
  );
  const DG = (k: number, i: number, m: number): T => dg[k]![i]![m]!;
  const dgi = R_.map((k) =>
    R_.map((i) => R_.map((l) => tf.neg(tf.addN(R_.flatMap((a) => R_.map((b) => tf.mul(tf.mul(G(i, a), DG(k, a, b)), G(b, l)))))))),
  );
  const low = R_.map((m) => R_.map((k) => R_.map((l) => tf.mul(0.5, tf.sub(tf.add(DG(l, m, k), DG(k, m, l)), DG(m, k, l))))));
  const dlow = R_.map((q) =>
    R_.map((m) => R_.map((k) => R_.map((l) => tf.mul(0.5, tf.sub(tf.add(ddg[q]![l]![m]![k]!, ddg[q]![k]![m]![l]!), ddg[q]![m]![k]![l]!))))),
  );
  const gamma = R_.map((i) => R_.map((k) => R_.map((l) => tf.addN(R_.map((m) => tf.mul(G(i, m), low[m]![k]![l]!))))));
  const dGamma = R_.map((q) =>
    R_.map((i) =>
      R_.map((k) =>
        R_.map((l) => tf.addN(R_.map((m) => tf.add(tf.mul(dgi[q]![i]![m]!, low[m]![k]![l]!), tf.mul(G(i, m), dlow[q]![m]![k]![l]!))))),
      ),
    ),
  );
  const riemann = (i: number, jj: number, k: number, l: number): T => {
    let s = tf.sub(dGamma[k]![i]![l]![jj]!, dGamma[l]![i]![k]![jj]!);
    for (const p of R_) s = tf.add(s, tf.sub(tf.mul(gamma[i]![k]![p]!, gamma[p]![l]![jj]!), tf.mul(gamma[i]![l]![p]!, gamma[p]![k]![jj]!)));
    return s;
  };
  const terms: T[] = [];
  for (const a of R_) for (const b of R_) terms.push(tf.mul(G(a, b), tf.addN(R_.map((c) => riemann(c, a, c, b)))));
  return { R: tf.addN(terms), sqrtdetg };
}
