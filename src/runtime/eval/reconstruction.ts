/** Reconstruction quality of an autoencoder: x and xHat are row-major n×dim. */

/** Mean squared error over all n·dim entries: MSE = (1/(n·dim)) Σ_ij (x_ij − x̂_ij)². */
export function mse(x: Float64Array, xHat: Float64Array, n: number, dim: number): number {
  const m = n * dim;
  if (x.length < m || xHat.length < m) throw new RangeError(`mse: arrays shorter than n·dim = ${m}`);
  let s = 0;
  for (let i = 0; i < m; i++) s += (x[i]! - xHat[i]!) ** 2;
  return s / m;
}

/**
 * Coefficient of determination with per-feature centring: R² = 1 − MSE / Var, where
 * Var = (1/(n·dim)) Σ_ij (x_ij − μ_j)² is the variance of x around its per-feature means μ_j
 * (sklearn's "variance_weighted" R²). 1 = perfect, 0 = as good as predicting each feature's mean.
 * Not the research's definition: see `r2Pooled`.
 */
export function r2(x: Float64Array, xHat: Float64Array, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + x[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / n;
  let v = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) v += (x[i * dim + j]! - mean[j]!) ** 2;
  return 1 - mse(x, xHat, n, dim) / (v / (n * dim));
}

/**
 * The research's reconstruction R² = 1 − MSE / Var_pooled, where Var_pooled = (1/(n·dim))
 * Σ_ij (x_ij − x̄)² is the variance of all n·dim values around their single mean x̄. Var_pooled ≥
 * the per-feature variance of `r2`, so this R² is never below `r2` (equal when all features share
 * one mean).
 */
export function r2Pooled(x: Float64Array, xHat: Float64Array, n: number, dim: number): number {
  const m = n * dim;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += x[i]!;
  mean /= m;
  let v = 0;
  for (let i = 0; i < m; i++) v += (x[i]! - mean) ** 2;
  return 1 - mse(x, xHat, n, dim) / (v / m);
}
