/** Numeric evaluation metrics for trained autoencoders (pure functions, no I/O). */
export { mse, r2 } from "./reconstruction.js";
export { ranks, pearson, spearman, swissRollCorrelation } from "./rank.js";
export { knn } from "./knn.js";
export {
  neighbourhoodPreservation,
  trustworthiness,
  continuity,
  tearing,
  type NeighbourhoodScores,
  type TearingScore,
} from "./neighbourhood.js";
export {
  covariance,
  eigenRatio,
  procrustes,
  gaussianCloudMetrics,
  kmeans,
  fMeasure,
  type ProcrustesResult,
  type CloudClassMetrics,
  type KMeansResult,
} from "./clusters.js";
export { symmetricEigen, svd, inverse, conditionNumber } from "./linalg.js";
export { summarize, type Summary } from "./stats.js";
export {
  geodesicLengthRatio,
  randomPairs,
  type MetricFn,
  type GeodesicOptions,
  type GeodesicResult,
} from "./geodesic.js";
