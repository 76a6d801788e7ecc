/**
 * The synthetic datasets of the reference research: sklearn's Swiss roll, and k isotropic 2-D
 * Gaussians, each in its own random 2-plane of R^D.
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
  /** Norm of each class's random shift vector; 0 keeps every plane through the origin. */
  shift?: number;
  seed?: number;
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
  if (D < 2) throw new UserError("D", `a 2-plane needs D ≥ 2, got ${D}`);
  const b = Float64Array.from({ length: 2 * D }, () => rng.normal());
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
 * k isotropic standard 2-D Gaussians, class c embedded as shift_c + s₁e₁ + s₂e₂ in its own random
 * 2-plane of R^D. Rows are grouped by class; labels are the class, truth the in-plane (s₁, s₂).
 */
export function gaussians({
  k = 3,
  D = 784,
  n = 1000,
  shift = 0,
  seed = 0,
}: GaussiansOptions = {}): Dataset & { planes: GaussianPlane[] } {
  const rng = new Rng(seed);
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
  const total = k * n;
  const x = new Float64Array(total * D);
  const truth = new Float64Array(total * 2);
  const labels = new Int32Array(total);
  for (let c = 0; c < k; c++) {
    const { basis, shift: s } = planes[c]!;
    for (let p = 0; p < n; p++) {
      const row = c * n + p;
      const a = rng.normal();
      const b = rng.normal();
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
