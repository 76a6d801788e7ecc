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
 * Coefficient of determination R² = 1 − MSE / Var, where Var = (1/(n·dim)) Σ_ij (x_ij − μ_j)² is
 * the variance of x around its per-feature mean μ_j, averaged over entries like MSE (a pooled R²,
 * not sklearn's per-feature average). 1 = perfect, 0 = as good as predicting the mean.
 */
export function r2(x: Float64Array, xHat: Float64Array, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + x[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / n;
  let v = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) v += (x[i * dim + j]! - mean[j]!) ** 2;
  return 1 - mse(x, xHat, n, dim) / (v / (n * dim));
}
