/**
 * The compiler as the runtime sees it. Everything below src/emit (the IR, the tensor plan, the
 * derivative rules) and every emitter reaches the runtime, the report and the CLI through this one
 * module, so the boundary is a list of typed names: what kernels exist and their fields, the emitted
 * texts and graphs, the lowered plans and their launch layouts. test/layers.test.ts enforces it.
 */

// Kernels: what `compile` emits for a model, their fields, the one route → kernel mapping.
export { compileModel, GENERATOR, type CompileResult, type KernelSummary, type Manifest } from "./compile.js";
export { curvatureKernelName, modelKernels, routeJetOrder, type Field, type Kernel, type Route } from "../ir/kernels.js";
export { decoderProgram, type DecoderProgram } from "../ir/program.js";

// Derivative rules of activations (the trainer's encoder forward, the tfjs oracle's references).
export { activationDerivatives } from "../rules/activations.js";
export type { Formula } from "../rules/formula.js";

// TensorFlow.js target.
export { emitTfjs } from "./tfjs.js";

// ONNX target and the tensor plans it prints.
export { emitOnnx, ONNX_OPSET } from "./onnx.js";
export { decoderOnnx } from "./onnx-decoder.js";
export { curvaturePlan, geometryPlan, jetGramPlan } from "../plan/curvature.js";
export { canonical, columnIndex, columnKey, jetColumns } from "../ir/jets.js";
export { HYPER_INPUTS, stepPlan, type HyperInput, type StepGraph, type StepSpec } from "../plan/step.js";
export { planFlops, type FlopCount } from "../plan/flops.js";
export { TensorPlan } from "../plan/tensor.js";

// Float64 TypeScript target (the reference kernels `curvature`, `check` and the tests load).
export { emitTypeScript } from "./typescript.js";

// WGSL target: kernels, their buffer layouts and launch plans (tiles, workgroups, reductions).
export { emitWgsl } from "./wgsl-files.js";
export { POINT_WORKGROUP, type WgslKernel } from "./wgsl.js";
export { ADAM_DEFAULTS, ADAM_WORKGROUP, adamUniform, type AdamHyper } from "./wgsl-adam.js";
export { POINTS_TILE, REDUCE_TILE, REDUCE_TK, wgslKernelSet, type LayerGradPlan, type WgslKernelSet } from "./wgsl-adjoint.js";
export {
  DIRECT_TILE,
  gradReduceDirectKernel,
  PARTS_FIELDS,
  wgslAutoencoderSet,
  mlpProgram,
  type ValuePlan,
  type WgslAutoencoderSet,
} from "./wgsl-autoencoder.js";
export {
  FMA_WORKGROUP,
  fmaCeilingKernel,
  fmaFlops,
  LOAD_PROBE_ROWS,
  loadProbeFlops,
  loadProbeKernel,
  type ProbeIndexing,
} from "./wgsl-bench.js";
export { jetMetricKernel, jetSeedKernel, type MetricMode } from "./wgsl-chart.js";
export { assembleSeededKernel, seedStride } from "./wgsl-seeded.js";
export { layerGradPlans } from "./wgsl-adjoint.js";
export { align4, packUniform, type UniformLayout, type UniformValues } from "./wgsl-layout.js";
export { curvaturePlan as tileCurvaturePlan, tileConfig, tiledPlan, type TileConfig, type TiledPlan } from "./wgsl-tile-plan.js";
export {
  assembleKernel,
  encoderOutKernel,
  encoderSeedKernel,
  reconSeedKernel,
  reductionFlops,
  tiledFlops,
  tiledKernels,
  type TiledKernels,
} from "./wgsl-tiled.js";
