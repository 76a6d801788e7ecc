/** The trainer's public API (the CLI in src/cli/train.ts and src/cli/bench.ts uses these). */
export {
  trainConfigSchema,
  parseTrainConfig,
  loadTrainConfig,
  configHash,
  FUNCTIONALS,
  MEASURES,
  BACKENDS,
  TFJS_BACKENDS,
} from "./config.js";
export type { TrainConfig, RawTrainConfig, Functional, MeasureKind, BackendName, TfjsBackendName } from "./config.js";
export { train, TrainingFailure, runFiles, mixSeed, epochPermutation } from "./trainer.js";
export type { TrainOptions, Summary } from "./trainer.js";
export { Session, buildSession, loadTrainingModel, loadTrainingData, PART_NAMES } from "./session.js";
export type { Parts, LossWeights, SessionData, BuiltSession } from "./session.js";
export { curvatureFunctional, uniformityTerm, contractiveTerm, stopGradient, curvatureKernelName } from "./losses.js";
export type { CurvatureSetup, CurvatureResult } from "./losses.js";
export { describeMeasure, measureBox, measurePoints, checkMeasure } from "./measure.js";
export type { MeasureSpec, Box } from "./measure.js";
export { potentialModel, potentialInitialParams, parseActivation } from "./potential.js";
export { evaluateSession } from "./evaluate.js";
export type { TestMetrics } from "./evaluate.js";
export { loadCheckpoint, saveCheckpoint, encodeF32, decodeF32, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from "./checkpoint.js";
export type { Checkpoint, EncodedArray } from "./checkpoint.js";
export { MetricsLog, readMetrics } from "./metrics.js";
export type { MetricRecord } from "./metrics.js";
export { ProgressBar, formatProgress, formatDuration } from "./progress.js";
export { Adam } from "./adam.js";
export { useBackend } from "./backend.js";
export { runBench, formatBench } from "./bench.js";
export type { BenchOptions, BenchRow } from "./bench.js";
export { loadTfjsKernelModule, emitTrainingKernels, emitPotentialKernels, trainingKernels, potentialKernels } from "./tfjs-kernels.js";
export type { TfjsKernelModule, TfjsKernelFn, TfjsFromJetsFn } from "./tfjs-kernels.js";
export { mlpForward, tfMlp, wrapAngles, formulaToTf } from "./mlp.js";
