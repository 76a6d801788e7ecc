/** Metrics for the Gaussian-clouds experiment: shape, alignment and clustering of latent classes. */
import { Rng } from "../../util/random.js";
import { svd, symmetricEigen } from "./linalg.js";

/** Population covariance (1/n) Σ (x_i − x̄)(x_i − x̄)ᵀ of the n×dim rows, as a dim×dim matrix. */
export function covariance(x: Float64Array, n: number, dim: number): Float64Array {
  const mean = columnMeans(x, n, dim);
  const c = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      const da = x[i * dim + a]! - mean[a]!;
      for (let b = a; b < dim; b++) c[a * dim + b] = c[a * dim + b]! + da * (x[i * dim + b]! - mean[b]!);
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      c[a * dim + b] = c[a * dim + b]! / n;
      c[b * dim + a] = c[a * dim + b]!;
    }
  }
  return c;
}

/** Eigenvalue ratio λmin/λmax of the covariance of the rows: 1 = isotropic, → 0 = squashed. */
export function eigenRatio(x: Float64Array, n: number, dim: number): number {
  const { values } = symmetricEigen(covariance(x, n, dim), dim);
  return values[0]! > 0 ? values[dim - 1]! / values[0]! : NaN;
}

export interface ProcrustesResult {
  /** ‖s·Z_c R − T_c‖²_F / ‖T_c‖²_F at the optimum: 0 = Z is T up to similarity, 1 = no fit. */
  error: number;
  scale: number;
  /** d×d orthogonal (rotation or reflection), row-major; aligned_i = scale·z_i R + translation. */
  rotation: Float64Array;
  translation: Float64Array;
}

/**
 * Procrustes analysis up to similarity: min over orthogonal R, scale s > 0 and translation t of
 * Σ_i ‖s·z_i R + t − truth_i‖², normalised by ‖truth − mean(truth)‖². With Z_c, T_c centred and
 * Z_cᵀ T_c = U Σ Vᵀ: R = U Vᵀ, s = tr Σ / ‖Z_c‖², error = 1 − (tr Σ)² / (‖Z_c‖² ‖T_c‖²).
 * z and truth are both n×d.
 */
export function procrustes(z: Float64Array, truth: Float64Array, n: number, d: number): ProcrustesResult {
  const mz = columnMeans(z, n, d);
  const mt = columnMeans(truth, n, d);
  const m = new Float64Array(d * d);
  let zz = 0;
  let tt = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const za = z[i * d + a]! - mz[a]!;
      zz += za * za;
      tt += (truth[i * d + a]! - mt[a]!) ** 2;
      for (let b = 0; b < d; b++) m[a * d + b] = m[a * d + b]! + za * (truth[i * d + b]! - mt[b]!);
    }
  }
  const { u, s, v } = svd(m, d);
  const rotation = new Float64Array(d * d);
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) {
      let r = 0;
      for (let k = 0; k < d; k++) r += u[a * d + k]! * v[b * d + k]!;
      rotation[a * d + b] = r;
    }
  let trace = 0;
  for (const x of s) trace += x;
  const scale = zz > 0 ? trace / zz : 0;
  const translation = new Float64Array(d);
  for (let b = 0; b < d; b++) {
    let r = 0;
    for (let a = 0; a < d; a++) r += mz[a]! * rotation[a * d + b]!;
    translation[b] = mt[b]! - scale * r;
  }
  const error = tt > 0 ? Math.max(0, 1 - (zz > 0 ? (trace * trace) / (zz * tt) : 0)) : NaN;
  return { error, scale, rotation, translation };
}

export interface CloudClassMetrics {
  label: number;
  size: number;
  /** λmin/λmax of the class's latent covariance. */
  latentRatio: number;
  /** λmin/λmax of the class's true in-plane covariance (≈ 1 for isotropic clouds). */
  trueRatio: number;
  /** `procrustes(latent, in-plane truth).error` within the class. */
  procrustesError: number;
}

/**
 * Per-class shape and alignment for the Gaussian clouds: each class lives in its own 2-plane, so
 * eigenvalue ratios and Procrustes errors are computed class by class, with latent z (n×d) against
 * the true in-plane coordinates truth (n×d). `meanProcrustesError` is weighted by class size.
 */
export function gaussianCloudMetrics(
  z: Float64Array,
  truth: Float64Array,
  labels: ArrayLike<number>,
  n: number,
  d: number,
): { classes: CloudClassMetrics[]; meanProcrustesError: number } {
  const classes: CloudClassMetrics[] = [];
  let weighted = 0;
  for (const [label, rows] of groupBy(labels, n)) {
    const zc = gatherRows(z, d, rows);
    const tc = gatherRows(truth, d, rows);
    const procrustesError = procrustes(zc, tc, rows.length, d).error;
    weighted += procrustesError * rows.length;
    classes.push({
      label,
      size: rows.length,
      latentRatio: eigenRatio(zc, rows.length, d),
      trueRatio: eigenRatio(tc, rows.length, d),
      procrustesError,
    });
  }
  return { classes, meanProcrustesError: weighted / n };
}

export interface KMeansResult {
  /** Cluster of each row, in 0 … k − 1. */
  labels: Int32Array;
  /** k×dim centroids. */
  centroids: Float64Array;
  /** Σ_i ‖x_i − c_{label(i)}‖² of the best restart. */
  inertia: number;
}

export interface KMeansOptions {
  seed?: number;
  restarts?: number;
  maxIter?: number;
  /**
   * Points live on the flat torus (−π, π]^dim: differences are wrapped to (−π, π] and each
   * centroid coordinate is the circular mean atan2(Σ sin, Σ cos) of its cluster's coordinates.
   */
  torus?: boolean;
}

/**
 * k-means (Lloyd's iterations from k-means++ seeding), `restarts` independent runs from a seeded
 * Rng, keeping the one with the lowest inertia. An emptied cluster is re-seeded with the point
 * farthest from its centroid. With `torus`, k-means on the flat torus (see KMeansOptions).
 */
export function kmeans(x: Float64Array, n: number, dim: number, k: number, options: KMeansOptions = {}): KMeansResult {
  if (!(k >= 1 && k <= n)) throw new RangeError(`kmeans: need 1 ≤ k ≤ n, got k = ${k}, n = ${n}`);
  const rng = new Rng(options.seed ?? 0);
  const restarts = options.restarts ?? 10;
  const maxIter = options.maxIter ?? 300;
  const torus = options.torus ?? false;
  let best: KMeansResult | null = null;
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(x, n, dim, k, seedPlusPlus(x, n, dim, k, rng, torus), maxIter, torus);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!;
}

/**
 * F-measure of a clustering against true labels: for each true class c, F_c = max over clusters
 * K of the F1 score 2|c ∩ K| / (|c| + |K|) (harmonic mean of precision |c∩K|/|K| and recall
 * |c∩K|/|c|); the result is Σ_c (|c|/n) F_c. 1 = every class is exactly one cluster.
 */
export function fMeasure(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  const n = labels.length;
  if (clusters.length !== n) throw new RangeError(`fMeasure: lengths differ (${n} vs ${clusters.length})`);
  const classSize = new Map<number, number>();
  const clusterSize = new Map<number, number>();
  const joint = new Map<number, Map<number, number>>();
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const K = clusters[i]!;
    classSize.set(c, (classSize.get(c) ?? 0) + 1);
    clusterSize.set(K, (clusterSize.get(K) ?? 0) + 1);
    const row = joint.get(c) ?? new Map<number, number>();
    row.set(K, (row.get(K) ?? 0) + 1);
    joint.set(c, row);
  }
  let f = 0;
  for (const [c, size] of classSize) {
    let bestF = 0;
    for (const [K, both] of joint.get(c)!) bestF = Math.max(bestF, (2 * both) / (size + clusterSize.get(K)!));
    f += (size / n) * bestF;
  }
  return f;
}

function seedPlusPlus(x: Float64Array, n: number, dim: number, k: number, rng: Rng, torus: boolean): Float64Array {
  const c = new Float64Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(pick * dim, (pick + 1) * dim), j * dim);
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i]!, sqDist(x, i, c, j, dim, torus));
      total += d2[i]!;
    }
    if (total <= 0) {
      pick = rng.int(n);
      continue;
    }
    let u = rng.uniform() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

function lloyd(x: Float64Array, n: number, dim: number, k: number, c: Float64Array, maxIter: number, torus: boolean): KMeansResult {
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const counts = new Float64Array(k);
  let inertia = Infinity;
  for (let it = 0; it < maxIter; it++) {
    let changed = false;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let bj = 0;
      let bd = Infinity;
      for (let j = 0; j < k; j++) {
        const dd = sqDist(x, i, c, j, dim, torus);
        if (dd < bd) {
          bd = dd;
          bj = j;
        }
      }
      if (labels[i] !== bj) changed = true;
      labels[i] = bj;
      dist[i] = bd;
      inertia += bd;
    }
    if (!changed) break;
    updateCentroids(x, n, dim, k, labels, c, counts, torus);
    for (let j = 0; j < k; j++) {
      if (counts[j]! === 0) {
        let far = 0;
        for (let i = 1; i < n; i++) if (dist[i]! > dist[far]!) far = i;
        c.set(x.subarray(far * dim, (far + 1) * dim), j * dim);
        dist[far] = 0;
      }
    }
  }
  return { labels, centroids: c, inertia };
}

/** Centroids of the labelled clusters (arithmetic, or circular means on the torus); counts per cluster. */
function updateCentroids(
  x: Float64Array,
  n: number,
  dim: number,
  k: number,
  labels: Int32Array,
  c: Float64Array,
  counts: Float64Array,
  torus: boolean,
): void {
  counts.fill(0);
  const sum = new Float64Array(k * dim);
  const sumSin = torus ? new Float64Array(k * dim) : sum;
  for (let i = 0; i < n; i++) {
    const j = labels[i]!;
    counts[j] = counts[j]! + 1;
    for (let a = 0; a < dim; a++) {
      const v = x[i * dim + a]!;
      if (torus) {
        sum[j * dim + a] = sum[j * dim + a]! + Math.cos(v);
        sumSin[j * dim + a] = sumSin[j * dim + a]! + Math.sin(v);
      } else sum[j * dim + a] = sum[j * dim + a]! + v;
    }
  }
  for (let j = 0; j < k; j++) {
    if (counts[j]! === 0) continue;
    for (let a = 0; a < dim; a++) {
      const q = j * dim + a;
      // A cluster spread evenly round a circle has no circular mean: keep the previous centroid.
      if (torus) c[q] = sum[q] === 0 && sumSin[q] === 0 ? c[q]! : Math.atan2(sumSin[q]!, sum[q]!);
      else c[q] = sum[q]! / counts[j]!;
    }
  }
}

/** Wrap an angle difference to (−π, π]. */
export function wrapAngle(v: number): number {
  const w = v - 2 * Math.PI * Math.round(v / (2 * Math.PI));
  return w === -Math.PI ? Math.PI : w;
}

function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, dim: number, torus = false): number {
  let s = 0;
  for (let a = 0; a < dim; a++) {
    const v = x[i * dim + a]! - c[j * dim + a]!;
    s += (torus ? wrapAngle(v) : v) ** 2;
  }
  return s;
}

function columnMeans(x: Float64Array, n: number, dim: number): Float64Array {
  const m = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) m[a] = m[a]! + x[i * dim + a]!;
  for (let a = 0; a < dim; a++) m[a] = m[a]! / n;
  return m;
}

function groupBy(labels: ArrayLike<number>, n: number): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    const g = groups.get(l);
    if (g) g.push(i);
    else groups.set(l, [i]);
  }
  return new Map([...groups].sort((a, b) => a[0] - b[0]));
}

function gatherRows(x: Float64Array, dim: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * dim);
  rows.forEach((r, i) => out.set(x.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}
