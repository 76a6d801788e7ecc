/**
 * The synthetic datasets of the reference research: sklearn's Swiss roll, and k isotropic 2-D
 * Gaussians, each in a random 2-plane of R^D — either independent uniformly random planes, or the
 * research's own generator, whose planes come from QR of a *uniform* [0, 1) matrix and therefore all
 * lie close to the diagonal direction (1, …, 1)/√D.
 */
import { Rng } from "../../util/random.js";
import { UserError } from "../../util/errors.js";
import type { Dataset } from "./dataset.js";

export interface SwissRollOptions {
  n?: number;
  /** Standard deviation of the Gaussian noise added to every coordinate. */
  noise?: number;
  seed?: number;
}

/**
 * sklearn.datasets.make_swiss_roll: t = 1.5π(1 + 2u), point (t cos t, 21v, t sin t) + noise,
 * u, v uniform in [0, 1). Truth columns: t and the noise-free height 21v.
 */
export function swissRoll({ n = 18000, noise = 1e-6, seed = 0 }: SwissRollOptions = {}): Dataset {
  const rng = new Rng(seed);
  const t = Float64Array.from({ length: n }, () => 1.5 * Math.PI * (1 + 2 * rng.uniform()));
  const h = Float64Array.from({ length: n }, () => 21 * rng.uniform());
  const x = new Float64Array(n * 3);
  const truth = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    x[3 * i] = ti * Math.cos(ti);
    x[3 * i + 1] = h[i]!;
    x[3 * i + 2] = ti * Math.sin(ti);
    truth[2 * i] = ti;
    truth[2 * i + 1] = h[i]!;
  }
  if (noise > 0) for (let i = 0; i < x.length; i++) x[i]! += noise * rng.normal();
  return { name: "swiss-roll", x, n, dim: 3, truth: { names: ["t", "height"], values: truth } };
}

export interface GaussiansOptions {
  /** Number of classes (planes). */
  k?: number;
  /** Ambient dimension. */
  D?: number;
  /** Points per class. */
  n?: number;
  /** Independent mode: norm of each class's random shift vector; 0 keeps every plane through the origin. */
  shift?: number;
  seed?: number;
  /**
   * "independent" (default): uniformly random planes (Gram–Schmidt of a normal matrix), shifted by
   * `shift`. "research": the reference research's generator — planes from QR of a uniform [0, 1)
   * D × 2 matrix (so they share a common direction, close to the diagonal), class c's in-plane mean
   * (c + 1)·classShift in both coordinates, and a per-class shift vector N(0, interclassStd²·I_D).
   */
  generator?: "independent" | "research";
  /** Research mode: in-plane mean offset per class (the research's shift_class; default 0). */
  classShift?: number;
  /** Research mode: standard deviation of each coordinate of a class's shift (its intercl_var; default 1). */
  interclassStd?: number;
}

export interface GaussianPlane {
  /** 2 × D row-major: two orthonormal vectors spanning the plane. */
  basis: Float64Array;
  /** The class's offset (all zeros when shift = 0). */
  shift: Float64Array;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(s);
}

/** Orthonormal basis (2 × D) of a uniformly random 2-plane: Gram–Schmidt of a D × 2 normal matrix. */
export function randomPlane(D: number, rng: Rng): Float64Array {
  return orthonormalize(
    D,
    Float64Array.from({ length: 2 * D }, () => rng.normal()),
  );
}

/**
 * The research's plane: Q of the QR factorisation of a D × 2 matrix with uniform [0, 1) entries
 * (Gram–Schmidt gives the same Q up to the signs of its columns). Every such plane holds a vector
 * close to the diagonal (1, …, 1)/√D: the planes of different classes share that direction.
 */
export function uniformQrPlane(D: number, rng: Rng): Float64Array {
  return orthonormalize(
    D,
    Float64Array.from({ length: 2 * D }, () => rng.uniform()),
  );
}

/** Gram–Schmidt of the two rows of a 2 × D matrix, in place. */
function orthonormalize(D: number, b: Float64Array): Float64Array {
  if (D < 2) throw new UserError("D", `a 2-plane needs D ≥ 2, got ${D}`);
  const e1 = b.subarray(0, D);
  const e2 = b.subarray(D);
  const normalize = (v: Float64Array): void => {
    const s = norm(v);
    for (let i = 0; i < D; i++) v[i]! /= s;
  };
  normalize(e1);
  // Two Gram–Schmidt passes keep e1·e2 at rounding level.
  for (let pass = 0; pass < 2; pass++) {
    let dot = 0;
    for (let i = 0; i < D; i++) dot += e1[i]! * e2[i]!;
    for (let i = 0; i < D; i++) e2[i]! -= dot * e1[i]!;
    normalize(e2);
  }
  return b;
}

/**
 * k isotropic 2-D Gaussians of variance 1, class c embedded as shift_c + s₁e₁ + s₂e₂ in its own
 * random 2-plane of R^D (planes and shifts by `generator`, see GaussiansOptions). Rows are grouped by
 * class; labels are the class, truth the in-plane (s₁, s₂).
 */
export function gaussians(opts: GaussiansOptions = {}): Dataset & { planes: GaussianPlane[] } {
  const { k = 3, D = 784, n = 1000, seed = 0, generator = "independent" } = opts;
  const rng = new Rng(seed);
  const planes =
    generator === "research" ? researchPlanes(k, D, opts.interclassStd ?? 1, rng) : independentPlanes(k, D, opts.shift ?? 0, rng);
  const mean = generator === "research" ? (c: number): number => (c + 1) * (opts.classShift ?? 0) : (): number => 0;
  const total = k * n;
  const x = new Float64Array(total * D);
  const truth = new Float64Array(total * 2);
  const labels = new Int32Array(total);
  for (let c = 0; c < k; c++) {
    const { basis, shift: s } = planes[c]!;
    for (let p = 0; p < n; p++) {
      const row = c * n + p;
      const a = mean(c) + rng.normal();
      const b = mean(c) + rng.normal();
      truth[2 * row] = a;
      truth[2 * row + 1] = b;
      labels[row] = c;
      const off = row * D;
      for (let i = 0; i < D; i++) x[off + i] = s[i]! + a * basis[i]! + b * basis[D + i]!;
    }
  }
  return {
    name: "gaussians",
    x,
    n: total,
    dim: D,
    labels,
    truth: { names: ["s1", "s2"], values: truth },
    planes,
  };
}

function independentPlanes(k: number, D: number, shift: number, rng: Rng): GaussianPlane[] {
  const planes: GaussianPlane[] = [];
  for (let c = 0; c < k; c++) {
    const basis = randomPlane(D, rng);
    const s = new Float64Array(D);
    if (shift > 0) {
      for (let i = 0; i < D; i++) s[i] = rng.normal();
      const scale = shift / norm(s);
      for (let i = 0; i < D; i++) s[i]! *= scale;
    }
    planes.push({ basis, shift: s });
  }
  return planes;
}

/** The research's order: all planes first, then one N(0, σ²·I_D) shift per class. */
function researchPlanes(k: number, D: number, interclassStd: number, rng: Rng): GaussianPlane[] {
  const bases = Array.from({ length: k }, () => uniformQrPlane(D, rng));
  return bases.map((basis) => ({ basis, shift: Float64Array.from({ length: D }, () => interclassStd * rng.normal()) }));
}
