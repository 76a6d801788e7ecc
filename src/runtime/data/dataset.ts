/**
 * The in-memory dataset every loader returns, and the generic operations on it: row selection,
 * a seeded train/test split, finiteness checks and per-column standardisation.
 */
import { Rng } from "../../util/random.js";
import { UserError } from "../../util/errors.js";

export interface Dataset {
  name: string;
  /** n × dim, row-major. */
  x: Float64Array;
  n: number;
  dim: number;
  /** Class labels where known. */
  labels?: Int32Array;
  /** n × k ground-truth coordinates (swiss roll: t, height; gaussians: in-plane coordinates). */
  truth?: { names: string[]; values: Float64Array };
}

/** A new dataset holding the given rows (in that order) of `ds`. */
export function takeRows(ds: Dataset, rows: ArrayLike<number>, name = ds.name): Dataset {
  const m = rows.length;
  const x = new Float64Array(m * ds.dim);
  for (let i = 0; i < m; i++) {
    const r = rows[i]!;
    x.set(ds.x.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim);
  }
  const out: Dataset = { name, x, n: m, dim: ds.dim };
  if (ds.labels) out.labels = Int32Array.from({ length: m }, (_, i) => ds.labels![rows[i]!]!);
  if (ds.truth) {
    const k = ds.truth.names.length;
    const values = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      const r = rows[i]!;
      values.set(ds.truth.values.subarray(r * k, (r + 1) * k), i * k);
    }
    out.truth = { names: [...ds.truth.names], values };
  }
  return out;
}

/** The first `n` rows (all of them when n ≥ ds.n). */
export function head(ds: Dataset, n: number): Dataset {
  if (n >= ds.n) return ds;
  return takeRows(
    ds,
    Int32Array.from({ length: n }, (_, i) => i),
  );
}

/**
 * Seeded shuffle, then the first round(n · testFraction) rows become the test set. The same seed
 * gives the same split of the same dataset.
 */
export function splitTrainTest(ds: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new UserError("testFraction", `must be in [0, 1), got ${testFraction}`);
  }
  const perm = Int32Array.from({ length: ds.n }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = ds.n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const nTest = Math.round(ds.n * testFraction);
  return {
    test: takeRows(ds, perm.subarray(0, nTest), `${ds.name}/test`),
    train: takeRows(ds, perm.subarray(nTest), `${ds.name}/train`),
  };
}

/** Throws a UserError naming the first row and column (0-based) holding NaN or ±Infinity. */
export function checkFinite(ds: Dataset, source: string, columnNames?: readonly string[]): void {
  const { x, dim } = ds;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) continue;
    const row = Math.floor(i / dim);
    const col = i % dim;
    const name = columnNames?.[col];
    throw new UserError(source, `${v} at row ${row}, column ${col}${name !== undefined ? ` ("${name}")` : ""} (counting from 0)`);
  }
}

export interface Standardization {
  mean: Float64Array;
  /** Per-column standard deviation; 1 where a column is constant, so it is only centred. */
  std: Float64Array;
}

export function columnStats(ds: Dataset): Standardization {
  const { x, n, dim } = ds;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) std[j]! += (x[i * dim + j]! - mean[j]!) ** 2;
  }
  for (let j = 0; j < dim; j++) {
    const s = Math.sqrt(std[j]! / Math.max(n, 1));
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/**
 * (x − mean) / std per column. Pass the training set's stats when standardising a test set so
 * both see the same transform.
 */
export function standardize(ds: Dataset, stats: Standardization = columnStats(ds)): { data: Dataset; stats: Standardization } {
  const { mean, std } = stats;
  if (mean.length !== ds.dim) {
    throw new Error(`standardize: stats have ${mean.length} columns, dataset has ${ds.dim}`);
  }
  const x = new Float64Array(ds.x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % ds.dim;
    x[i] = (ds.x[i]! - mean[j]!) / std[j]!;
  }
  return { data: { ...ds, x }, stats };
}
