/** Numeric evaluation metrics for trained autoencoders (pure functions, no I/O). */
export { mse, r2, r2Pooled } from "./reconstruction.js";
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
  wrapAngle,
  type KMeansOptions,
  type ProcrustesResult,
  type CloudClassMetrics,
  type KMeansResult,
} from "./clusters.js";
export { symmetricEigen, svd, inverse, conditionNumber } from "./linalg.js";
export { summarize, type Summary } from "./stats.js";
export {
  geodesicLengthRatio,
  finiteDifferenceJets,
  randomPairs,
  type MetricFn,
  type MetricJetFn,
  type GeodesicOptions,
  type GeodesicResult,
} from "./geodesic.js";
export { pairCountingF, kmeansPairCountingF, type PairCountingOptions, type PairCountingResult } from "./pair-counting.js";
export { conditionNumbers, isometryDistortion } from "./conformality.js";
export {
  bestRotation,
  knnOverlap,
  neighbourSets,
  rollArcLength,
  setOverlap,
  UNROLL_TARGETS,
  type BestRotation,
  type RotationScores,
} from "./unrolling.js";
export { geodesicGridRatio, exponentialMap, type GeodesicGridOptions, type GeodesicGridResult } from "./geodesic-grid.js";
