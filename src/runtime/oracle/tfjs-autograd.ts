/**
 * Independent oracle for the compiler: the decoder's derivatives J = ∂Ψ, H = ∂²Ψ, T = ∂³Ψ by nested
 * tfjs autograd (float32), then g = JᵀJ and the scalar curvature R assembled in float64 by a plain
 * loop implementation of the intrinsic formula (docs/mathematics.md §3, route A). It shares no code with src/ir,
 * src/rules or src/emit: the compiler's closed-form jets are checked against it.
 *
 * Many outputs (D up to 784) and few inputs (d) call for forward mode, which tfjs lacks. It is
 * emulated by differentiating w.r.t. a cotangent u: with a(z, u) = Σ u·Ψ(z), the z-derivatives
 * ∂_{i1…ik} a = Σ u·∂_{i1…ik}Ψ are linear in u, so one more reverse pass w.r.t. u returns the whole
 * D-vector ∂_{i1…ik}Ψ. Each multi-index gets its own block of rows (points are independent, so the
 * gradient of a batch sum is per row), and a one-hot mask per nesting level picks its index.
 */
import * as tf from "@tensorflow/tfjs";
import { mlpInputWidth, paramLayout } from "../../model/params.js";
import type { Model } from "../../model/types.js";
import { compileFormula, installHigherOrderGradients, tfActivation } from "./tfjs-activations.js";

export interface OracleResult {
  /** n×D×d: J[p][a][i] = ∂_iΨ_a. */
  J: Float64Array;
  /** n×D×d×d, symmetric in the last two indices. */
  H: Float64Array;
  /** n×D×d×d×d, symmetric in the last three indices. */
  T: Float64Array;
  /** n×d×d pullback metric JᵀJ. */
  g: Float64Array;
  /** n scalar curvatures. */
  R: Float64Array;
}

type Decoder = (z: tf.Tensor2D) => tf.Tensor2D;

/** The decoder as a tfjs function of a batch of latent points (rows × d → rows × D). Call inside tf.tidy. */
function tfDecoder(model: Model, params: Float64Array): Decoder {
  const dec = model.decoder;
  const d = model.latentDim;
  if (dec.type === "analytic") {
    if (dec.variables.length !== d || dec.formulas.length !== model.outputDim)
      throw new Error(
        `analytic decoder: ${dec.variables.length} variables / ${dec.formulas.length} formulas for d=${d}, D=${model.outputDim}`,
      );
    const fs = dec.formulas.map((f, i) => compileFormula(f, dec.variables, dec.constants, `decoder.formulas[${i}]`));
    return (z) => {
      const cols = tf.unstack(z, 1);
      const zero = tf.zerosLike(cols[0] ?? tf.zeros([z.shape[0]]));
      return tf.stack(
        fs.map((f) => tf.add(f(cols), zero)),
        1,
      ) as tf.Tensor2D;
    };
  }
  if (dec.inputDim !== d) throw new Error(`MLP decoder input ${dec.inputDim} ≠ latent dimension ${d}`);
  const layout = paramLayout(dec);
  if (params.length !== layout.size) throw new Error(`MLP decoder expects ${layout.size} parameters, got ${params.length}`);
  const last = layout.layers[layout.layers.length - 1];
  if (last?.units !== model.outputDim) throw new Error(`MLP decoder output ${last?.units} ≠ D=${model.outputDim}`);
  const layers = layout.layers.map((l, k) => {
    const spec = dec.layers[k];
    if (spec === undefined) throw new Error("layout/layers mismatch");
    return {
      W: tf.tensor2d(Float32Array.from(params.subarray(l.wOffset, l.wOffset + l.units * l.fanIn)), [l.units, l.fanIn]),
      b: tf.tensor1d(Float32Array.from(params.subarray(l.bOffset, l.bOffset + l.units))),
      act: tfActivation(spec.activation, `decoder.layers[${k}].activation`),
    };
  });
  const width = mlpInputWidth(dec);
  return (z) => {
    let x: tf.Tensor2D = dec.torusEmbedding ? tf.concat([tf.cos(z), tf.sin(z)], 1) : z;
    if (x.shape[1] !== width) throw new Error("input width mismatch");
    for (const { W, b, act } of layers) x = act(tf.add(tf.matMul(x, W, false, true), b)) as tf.Tensor2D;
    return x;
  };
}

/** Ψ at n points (n×d, row-major), float32 tfjs, returned as n×D. */
export function oracleForward(model: Model, params: Float64Array, points: Float64Array, n: number): Float64Array {
  const out = tf.tidy(() => tfDecoder(model, params)(tf.tensor2d(Float32Array.from(points), [n, model.latentDim])).dataSync());
  return Float64Array.from(out);
}

/** Sorted multi-indices i1 ≤ … ≤ ik over 0..d−1. */
function multiIndices(d: number, k: number): number[][] {
  if (k === 0) return [[]];
  return multiIndices(d, k - 1).flatMap((m) => {
    const out: number[][] = [];
    for (let i = m[m.length - 1] ?? 0; i < d; i++) out.push([...m, i]);
    return out;
  });
}

/**
 * ∂^kΨ at the n points for every multi-index in `indices` (all of length k): rows block-major
 * (block b = indices[b]), each row D wide. Nesting depth k + 1.
 */
function derivativeBlocks(psi: Decoder, points: Float64Array, n: number, d: number, D: number, indices: number[][]): Float32Array {
  const k = indices[0]?.length ?? 0;
  const rows = indices.length * n;
  return tf.tidy(() => {
    const z = tf.tile(tf.tensor2d(Float32Array.from(points), [n, d]), [indices.length, 1]) as tf.Tensor2D;
    const masks = Array.from({ length: k }, (_, level) => {
      const m = new Float32Array(rows * d);
      indices.forEach((idx, b) => {
        for (let p = 0; p < n; p++) m[(b * n + p) * d + (idx[level] ?? 0)] = 1;
      });
      return tf.tensor2d(m, [rows, d]);
    });
    // A zero-valued term keeps every z-derivative connected to z, so that tf.grad does not reject a
    // decoder whose derivatives of some order are constant (a plane, a linear MLP).
    const tied: Decoder = (zz) => tf.add(psi(zz), tf.mul(0, tf.sin(tf.sum(zz, 1, true))));
    const scalarOf = tf.grad((u: tf.Tensor) => {
      let f = (zz: tf.Tensor): tf.Scalar => tf.sum(tf.mul(u, tied(zz as tf.Tensor2D)));
      for (const m of masks) {
        const inner = f;
        f = (zz) => tf.sum(tf.mul(tf.grad(inner)(zz), m));
      }
      return f(z);
    });
    return scalarOf(tf.zeros([rows, D])).dataSync() as Float32Array;
  });
}

/** Every permutation of a multi-index, as flat offsets in a d^k block (row-major). */
function symmetricOffsets(idx: number[], d: number): number[] {
  const offsets = new Set<number>();
  const permute = (rest: number[], acc: number): void => {
    if (rest.length === 0) offsets.add(acc);
    rest.forEach((i, at) => permute([...rest.slice(0, at), ...rest.slice(at + 1)], acc * d + i));
  };
  permute(idx, 0);
  return [...offsets];
}

/** J, H, T (full symmetric layouts n×D×d^k) by nested tfjs autograd. */
export function oracleDerivatives(
  model: Model,
  params: Float64Array,
  points: Float64Array,
  n: number,
): { J: Float64Array; H: Float64Array; T: Float64Array } {
  installHigherOrderGradients();
  const d = model.latentDim;
  const D = model.outputDim;
  if (points.length !== n * d) throw new Error(`points: expected ${n}×${d} values, got ${points.length}`);
  const [J, H, T] = [1, 2, 3].map((k) => {
    const indices = multiIndices(d, k);
    const blocks = tf.tidy(() => derivativeBlocks(tfDecoder(model, params), points, n, d, D, indices));
    const size = d ** k;
    const out = new Float64Array(n * D * size);
    indices.forEach((idx, b) => {
      const offsets = symmetricOffsets(idx, d);
      for (let p = 0; p < n; p++)
        for (let a = 0; a < D; a++) {
          const v = blocks[(b * n + p) * D + a] ?? NaN;
          for (const o of offsets) out[(p * D + a) * size + o] = v;
        }
    });
    return out;
  }) as [Float64Array, Float64Array, Float64Array];
  return { J, H, T };
}

/** Inverse of a d×d matrix (row-major) by Gauss–Jordan elimination with partial pivoting. */
function invert(m: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  const at = (x: Float64Array, i: number, j: number): number => x[i * d + j] ?? NaN;
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(at(a, r, c)) > Math.abs(at(a, pivot, c))) pivot = r;
    for (let j = 0; j < d; j++) {
      for (const x of [a, inv]) {
        const t = at(x, c, j);
        x[c * d + j] = at(x, pivot, j);
        x[pivot * d + j] = t;
      }
    }
    const p = at(a, c, c);
    for (let j = 0; j < d; j++) {
      a[c * d + j] = at(a, c, j) / p;
      inv[c * d + j] = at(inv, c, j) / p;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = at(a, r, c);
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        a[r * d + j] = at(a, r, j) - f * at(a, c, j);
        inv[r * d + j] = at(inv, r, j) - f * at(inv, c, j);
      }
    }
  }
  return inv;
}

/**
 * Metric and scalar curvature of one point from its J (D×d), H (D×d×d), T (D×d×d×d), float64.
 * g_ij = ⟨J_i,J_j⟩, ∂_k g_ij, ∂_kl g_ij; Γ_{m,kl} = ½(∂_l g_mk + ∂_k g_ml − ∂_m g_kl), Γ^i_kl = g^{im}Γ_{m,kl};
 * ∂_jΓ^i_kl from ∂g^{-1} = −g^{-1}(∂g)g^{-1} and ∂²g; R^i_jkl = ∂_kΓ^i_lj − ∂_lΓ^i_kj + Γ^i_kpΓ^p_lj − Γ^i_lpΓ^p_kj;
 * Ric_ab = R^c_acb; R = g^{ab}Ric_ab.
 */
export function scalarCurvatureFromDerivatives(
  J: Float64Array,
  H: Float64Array,
  T: Float64Array,
  D: number,
  d: number,
): { g: Float64Array; R: number } {
  const j = (a: number, i: number): number => J[a * d + i] ?? NaN;
  const h = (a: number, i: number, k: number): number => H[(a * d + i) * d + k] ?? NaN;
  const t = (a: number, i: number, k: number, l: number): number => T[((a * d + i) * d + k) * d + l] ?? NaN;
  const idx = (...is: number[]): number => is.reduce((acc, i) => acc * d + i, 0);
  const get = (x: Float64Array, ...is: number[]): number => x[idx(...is)] ?? NaN;

  const g = new Float64Array(d * d);
  const dg = new Float64Array(d ** 3); // [k][i][j] = ∂_k g_ij
  const ddg = new Float64Array(d ** 4); // [k][l][i][j] = ∂_k∂_l g_ij
  for (let a = 0; a < D; a++)
    for (let i = 0; i < d; i++)
      for (let m = 0; m < d; m++) {
        g[idx(i, m)] = get(g, i, m) + j(a, i) * j(a, m);
        for (let k = 0; k < d; k++) {
          dg[idx(k, i, m)] = get(dg, k, i, m) + h(a, k, i) * j(a, m) + j(a, i) * h(a, k, m);
          for (let l = 0; l < d; l++)
            ddg[idx(k, l, i, m)] =
              get(ddg, k, l, i, m) + t(a, k, l, i) * j(a, m) + h(a, k, i) * h(a, l, m) + h(a, l, i) * h(a, k, m) + j(a, i) * t(a, k, l, m);
        }
      }
  const gi = invert(g, d);

  const dgi = new Float64Array(d ** 3); // [k][i][j] = ∂_k g^{ij}
  const gammaLow = new Float64Array(d ** 3); // [m][k][l] = Γ_{m,kl}
  const dGammaLow = new Float64Array(d ** 4); // [j][m][k][l] = ∂_j Γ_{m,kl}
  for (let k = 0; k < d; k++)
    for (let i = 0; i < d; i++)
      for (let l = 0; l < d; l++) {
        let s = 0;
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s -= get(gi, i, a) * get(dg, k, a, b) * get(gi, b, l);
        dgi[idx(k, i, l)] = s;
        gammaLow[idx(k, i, l)] = 0.5 * (get(dg, l, k, i) + get(dg, i, k, l) - get(dg, k, i, l));
        for (let q = 0; q < d; q++) dGammaLow[idx(q, k, i, l)] = 0.5 * (get(ddg, q, l, k, i) + get(ddg, q, i, k, l) - get(ddg, q, k, i, l));
      }

  const gamma = new Float64Array(d ** 3); // [i][k][l] = Γ^i_kl
  const dGamma = new Float64Array(d ** 4); // [q][i][k][l] = ∂_q Γ^i_kl
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++)
      for (let l = 0; l < d; l++) {
        let s = 0;
        for (let m = 0; m < d; m++) s += get(gi, i, m) * get(gammaLow, m, k, l);
        gamma[idx(i, k, l)] = s;
        for (let q = 0; q < d; q++) {
          let ds = 0;
          for (let m = 0; m < d; m++) ds += get(dgi, q, i, m) * get(gammaLow, m, k, l) + get(gi, i, m) * get(dGammaLow, q, m, k, l);
          dGamma[idx(q, i, k, l)] = ds;
        }
      }

  const riemann = (i: number, jj: number, k: number, l: number): number => {
    let s = get(dGamma, k, i, l, jj) - get(dGamma, l, i, k, jj);
    for (let p = 0; p < d; p++) s += get(gamma, i, k, p) * get(gamma, p, l, jj) - get(gamma, i, l, p) * get(gamma, p, k, jj);
    return s;
  };
  let R = 0;
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) {
      let ric = 0;
      for (let c = 0; c < d; c++) ric += riemann(c, a, c, b);
      R += get(gi, a, b) * ric;
    }
  return { g, R };
}

/**
 * The oracle: J (n×D×d), H, T, g = JᵀJ (n×d×d) and R (n) at n latent points (n×d, row-major).
 * Derivatives in float32 tfjs autograd on the current tfjs backend (set 'cpu' before calling);
 * g and R in float64.
 */
export function oracleCurvature(model: Model, params: Float64Array, points: Float64Array, n: number): OracleResult {
  const d = model.latentDim;
  const D = model.outputDim;
  const { J, H, T } = oracleDerivatives(model, params, points, n);
  const g = new Float64Array(n * d * d);
  const R = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const one = scalarCurvatureFromDerivatives(
      J.subarray(p * D * d, (p + 1) * D * d),
      H.subarray(p * D * d ** 2, (p + 1) * D * d ** 2),
      T.subarray(p * D * d ** 3, (p + 1) * D * d ** 3),
      D,
      d,
    );
    g.set(one.g, p * d * d);
    R[p] = one.R;
  }
  return { J, H, T, g, R };
}
