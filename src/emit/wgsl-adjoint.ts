/**
 * WGSL adjoint kernels: ∂L/∂θ of the curvature loss L = lbar · Σ_points R²·√det g (lbar = 1/total
 * for the batch mean), and ∂L/∂z per point (what an encoder upstream needs).
 *
 * Generated, not hand-written: the adjoints of the curvature assembly (loss term → Gram entries),
 * of every activation's jet rule (output jet → pre-activation jet) and of the torus embedding come
 * from reverse-mode differentiation of the IR blocks (`adjoints` in ir/reverse.ts; wgsl-reverse.ts),
 * printed by the same printer as the forward code. The linear algebra around them is fixed:
 *
 *   forward{A,B}  (wgsl.ts)           per point: jets through the layers; writes the tape
 *                                     (x_l: input jet of layer l, a_l: pre-activation jet, psi).
 *   backward{A,B} (wgsl-backward.ts)  per point: the reverse sweep to Ā_l of every layer and z̄.
 *   gradReduce                        per layer, a split-K GEMM over (columns × points):
 *                                     [W̄_l | b̄_l] = Σ_points Σ_columns Ā_l [X_l ; 1_{c=0}]ᵀ, in
 *                                     partial sums (shared-memory tiles; `gradReducePoints` is the
 *                                     variant for CPU adapters, lanes over points, no barrier in
 *                                     its loop).
 *   gradFinalize                      sums the partials into the flat gradient (W_l row-major then
 *                                     b_l), optionally adding to it (batches processed in chunks).
 */
import { opCounts } from "../ir/block.js";
import type { Route } from "../ir/kernels.js";
import { decoderProgram, type DecoderProgram } from "../ir/program.js";
import { adjoints } from "../ir/reverse.js";
import { uniformLayout } from "./wgsl-layout.js";
import type { Model } from "../model/types.js";
import { adamKernel } from "./wgsl-adam.js";
import { backwardKernel, requireMlp } from "./wgsl-backward.js";
import { activationAdjointBlock, layersOf } from "./wgsl-reverse.js";
import {
  curvatureAssembly,
  curvatureFields,
  curvatureFlops,
  curvatureKernel,
  reduceSumKernel,
  kernelSource,
  region,
  routeOrder,
  tapeLayout,
  u32,
  type OutField,
  type TapeLayout,
  type WgslBinding,
  type WgslKernel,
} from "./wgsl.js";

// ---- weight gradient reduction ----------------------------------------------------------------

export const REDUCE_TILE = 64;
export const REDUCE_TK = 16;

export const GRAD_REDUCE_UNIFORM = uniformLayout({
  n: "u32",
  cols: "u32",
  units: "u32",
  fanIn: "u32",
  aRow: "u32",
  xRow: "u32",
  chunk: "u32",
});

/**
 * partial[s][o][i] = Σ_{k in split s} Ā[k][o] · X̃[k][i], with k = (column, point), X̃ = [X ; 1 on the
 * value column] (the last i is the bias). Workgroup tile 64 × 64, 16 × 16 invocations with 4 × 4
 * accumulators each, K staged through workgroup memory 16 at a time; grid (i tiles, o tiles, splits).
 */
export function gradReduceKernel(): WgslKernel {
  const TM = REDUCE_TILE;
  const TK = REDUCE_TK;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "adj", kind: "read-only-storage" },
    { binding: 2, name: "tape", kind: "read-only-storage" },
    { binding: 3, name: "partial", kind: "storage" },
  ];
  const R = [0, 1, 2, 3];
  const body = [
    `var<workgroup> As: array<f32, ${TK * TM}>;`,
    `var<workgroup> Xs: array<f32, ${TK * TM}>;`,
    "",
    "@compute @workgroup_size(16, 16)",
    "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {",
    `  let o0 = wg.y * ${u32(TM)};`,
    `  let i0 = wg.x * ${u32(TM)};`,
    "  let width = cfg.fanIn + 1u;",
    "  let kEnd = min((wg.z + 1u) * cfg.chunk, cfg.cols * cfg.n);",
    ...R.flatMap((a) => R.map((c) => `  var acc${a}${c} = 0.0;`)),
    `  for (var k0 = wg.z * cfg.chunk; k0 < kEnd; k0 += ${u32(TK)}) {`,
    `    for (var r = 0u; r < ${u32((TK * TM) / 256)}; r++) {`,
    "      let e = li + r * 256u;",
    `      let kk = e % ${u32(TK)};`,
    `      let row = e / ${u32(TK)};`,
    "      let k = k0 + kk;",
    "      var av = 0.0;",
    "      var xv = 0.0;",
    "      if (k < kEnd) {",
    "        let c = k / cfg.n;",
    "        let pt = k - c * cfg.n;",
    "        let o = o0 + row;",
    "        if (o < cfg.units) { av = adj[(cfg.aRow + c * cfg.units + o) * cfg.n + pt]; }",
    "        let i = i0 + row;",
    "        if (i < cfg.fanIn) { xv = tape[(cfg.xRow + c * cfg.fanIn + i) * cfg.n + pt]; }",
    "        else if (i == cfg.fanIn && c == 0u) { xv = 1.0; }",
    "      }",
    `      As[kk * ${u32(TM)} + row] = av;`,
    `      Xs[kk * ${u32(TM)} + row] = xv;`,
    "    }",
    "    workgroupBarrier();",
    `    for (var kk = 0u; kk < ${u32(TK)}; kk++) {`,
    ...R.map((a) => `      let a${a} = As[kk * ${u32(TM)} + lid.y + ${u32(16 * a)}];`),
    ...R.map((c) => `      let x${c} = Xs[kk * ${u32(TM)} + lid.x + ${u32(16 * c)}];`),
    ...R.flatMap((a) => R.map((c) => `      acc${a}${c} = fma(a${a}, x${c}, acc${a}${c});`)),
    "    }",
    "    workgroupBarrier();",
    "  }",
    ...R.flatMap((a) =>
      R.map(
        (c) =>
          `  if (o0 + lid.y + ${u32(16 * a)} < cfg.units && i0 + lid.x + ${u32(16 * c)} < width) { partial[(wg.z * cfg.units + o0 + lid.y + ${u32(16 * a)}) * width + i0 + lid.x + ${u32(16 * c)}] = acc${a}${c}; }`,
      ),
    ),
    "}",
  ];
  return {
    name: "gradReduce",
    description: "split-K reduction of Ā_l [X_l; 1]ᵀ over columns and points (weight and bias gradients)",
    code: kernelSource(
      "gradReduce: [W̄ | b̄] partial sums = Σ Ā [X; 1]ᵀ over (columns × points)",
      [
        "adj and tape rows are point-fastest: element (row, point) at row·n + point.",
        "partial is splits × units × (fanIn + 1); gradFinalize sums it.",
      ],
      GRAD_REDUCE_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [16, 16, 1],
    bindings,
    uniform: GRAD_REDUCE_UNIFORM,
  };
}

export const POINTS_TILE = 8;
export const POINTS_LANES = 64;

/**
 * The same partial sums as {@link gradReduceKernel}, for CPU adapters (lavapipe, SwiftShader):
 * lanes run over points (contiguous addresses), each invocation keeps a 4 × 4 register tile of
 * (unit, input) sums, and one shared-memory tree at the end adds the 64 lanes: no barrier in the
 * loop (a CPU implementation runs the invocations of a workgroup as SIMD lanes and pays dearly for
 * every barrier). Grid (input tiles, unit tiles, splits); a split is a range of `chunk` points
 * (all columns), so that the lanes read consecutive addresses.
 */
export function gradReducePointsKernel(T = POINTS_TILE): WgslKernel {
  const L = POINTS_LANES;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "adj", kind: "read-only-storage" },
    { binding: 2, name: "tape", kind: "read-only-storage" },
    { binding: 3, name: "partial", kind: "storage" },
  ];
  const R = Array.from({ length: T }, (_, i) => i);
  const body = [
    `var<workgroup> sums: array<f32, ${T * T * L}>;`,
    "",
    `@compute @workgroup_size(${L})`,
    "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {",
    `  let o0 = wg.y * ${u32(T)};`,
    `  let i0 = wg.x * ${u32(T)};`,
    "  let width = cfg.fanIn + 1u;",
    "  // Here a split is a range of points (cfg.chunk of them), all columns.",
    "  let pEnd = min((wg.z + 1u) * cfg.chunk, cfg.n);",
    ...R.flatMap((a) => R.map((c) => `  var acc${a}${c} = 0.0;`)),
    "  for (var c = 0u; c < cfg.cols; c++) {",
    ...R.map((a) => `    let ar${a} = (cfg.aRow + c * cfg.units + min(o0 + ${u32(a)}, cfg.units - 1u)) * cfg.n;`),
    ...R.map((a) => `    let ain${a} = o0 + ${u32(a)} < cfg.units;`),
    ...R.map((c) => `    let xr${c} = (cfg.xRow + c * cfg.fanIn + min(i0 + ${u32(c)}, cfg.fanIn - 1u)) * cfg.n;`),
    ...R.map((c) => `    let xin${c} = i0 + ${u32(c)} < cfg.fanIn;`),
    ...R.map((c) => `    let xb${c} = select(0.0, 1.0, i0 + ${u32(c)} == cfg.fanIn && c == 0u);`),
    `    for (var pt = wg.z * cfg.chunk + lane; pt < pEnd; pt += ${u32(L)}) {`,
    ...R.map((a) => `      let a${a} = select(0.0, adj[ar${a} + pt], ain${a});`),
    ...R.map((c) => `      let x${c} = select(xb${c}, tape[xr${c} + pt], xin${c});`),
    ...R.flatMap((a) => R.map((c) => `      acc${a}${c} = fma(a${a}, x${c}, acc${a}${c});`)),
    "    }",
    "  }",
    ...R.flatMap((a) => R.map((c) => `  sums[${u32((a * T + c) * L)} + lane] = acc${a}${c};`)),
    "  workgroupBarrier();",
    `  for (var s = ${u32(L / 2)}; s > 0u; s = s / 2u) {`,
    "    if (lane < s) {",
    `      for (var j = 0u; j < ${u32(T * T)}; j++) { sums[j * ${u32(L)} + lane] += sums[j * ${u32(L)} + lane + s]; }`,
    "    }",
    "    workgroupBarrier();",
    "  }",
    `  if (lane < ${u32(T * T)}) {`,
    `    let o = o0 + lane / ${u32(T)};`,
    `    let i = i0 + lane % ${u32(T)};`,
    `    if (o < cfg.units && i < width) { partial[(wg.z * cfg.units + o) * width + i] = sums[lane * ${u32(L)}]; }`,
    "  }",
    "}",
  ];
  return {
    name: "gradReducePoints",
    description: "split-K reduction of Ā_l [X_l; 1]ᵀ, lanes over points (for CPU adapters)",
    code: kernelSource(
      "gradReducePoints: [W̄ | b̄] partial sums = Σ Ā [X; 1]ᵀ over (columns × points), lanes over points",
      [
        "adj and tape rows are point-fastest: element (row, point) at row·n + point.",
        "partial is splits × units × (fanIn + 1); gradFinalize sums it.",
      ],
      GRAD_REDUCE_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [L, 1, 1],
    bindings,
    uniform: GRAD_REDUCE_UNIFORM,
  };
}

export const GRAD_FINALIZE_UNIFORM = uniformLayout({
  units: "u32",
  fanIn: "u32",
  wOffset: "u32",
  bOffset: "u32",
  splits: "u32",
  accumulate: "u32",
});

/** grad[W_l | b_l] (+)= Σ_splits partial. */
export function gradFinalizeKernel(): WgslKernel {
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "partial", kind: "read-only-storage" },
    { binding: 2, name: "grad", kind: "storage" },
  ];
  const body = [
    "@compute @workgroup_size(64)",
    "fn main(@builtin(global_invocation_id) gid: vec3u) {",
    "  let width = cfg.fanIn + 1u;",
    "  let count = cfg.units * width;",
    "  let idx = gid.x;",
    "  if (idx >= count) { return; }",
    "  var s = 0.0;",
    "  for (var t = 0u; t < cfg.splits; t++) { s += partial[t * count + idx]; }",
    "  let o = idx / width;",
    "  let i = idx - o * width;",
    "  let at = select(cfg.bOffset + o, cfg.wOffset + o * cfg.fanIn + i, i < cfg.fanIn);",
    "  if (cfg.accumulate != 0u) { s += grad[at]; }",
    "  grad[at] = s;",
    "}",
  ];
  return {
    name: "gradFinalize",
    description: "sum of the split partials into the flat gradient (W_l row-major, then b_l)",
    code: kernelSource("gradFinalize: grad[W_l | b_l] (+)= Σ_splits partial", [], GRAD_FINALIZE_UNIFORM, bindings, body),
    entryPoint: "main",
    workgroupSize: [64, 1, 1],
    bindings,
    uniform: GRAD_FINALIZE_UNIFORM,
  };
}

// ---- plans and counts -------------------------------------------------------------------------

export interface LayerGradPlan {
  index: number;
  units: number;
  fanIn: number;
  wOffset: number;
  bOffset: number;
  /** Row of Ā_l in adj and of X_l in the tape. */
  aRow: number;
  xRow: number;
}

export interface GradientPlan {
  program: DecoderProgram;
  tape: TapeLayout;
  layers: LayerGradPlan[];
}

/** Where each dense layer's weights, Ā_l (in adj) and X_l (in the tape) live. */
export function layerGradPlans(program: DecoderProgram, tape: TapeLayout): LayerGradPlan[] {
  return layersOf(program).map(({ dense }) => ({
    index: dense.index,
    units: dense.layer.units,
    fanIn: dense.layer.fanIn,
    wOffset: dense.layer.wOffset,
    bOffset: dense.layer.bOffset,
    aRow: region(tape.adj, `abar${dense.index}`).offset,
    xRow: region(tape.tape, `x${dense.index}`).offset,
  }));
}

export function gradientPlan(model: Model, route: Route): GradientPlan {
  requireMlp(model);
  const program = decoderProgram(model, routeOrder(route));
  const tape = tapeLayout(program);
  const layers = layerGradPlans(program, tape);
  return { program, tape, layers };
}

/** FLOPs per point of a gradient evaluation (forward with tape, backward, weight reduction). */
export function gradientFlops(model: Model, route: Route): number {
  const p = decoderProgram(model, routeOrder(route));
  const C = p.columns.length;
  const asm = curvatureAssembly(p, route);
  const pairs = asm.gramPairs.length;
  let flops = curvatureFlops(model, route) + 2 * p.outputDim * pairs; // forward, Gram recomputed
  const b = asm.block.b;
  const gbar = adjoints(
    b,
    new Map([[asm.loss, b.input("lbar")]]),
    asm.gramPairs.map(([c1, c2]) => b.findInput(`G${c1}_${c2}`)!),
  );
  flops += opCounts({ b, inputs: [], outputs: gbar.map((node, i) => ({ name: `o${i}`, node })) }).afterCse;
  flops += 2 * 2 * p.outputDim * pairs; // Ψ̄
  for (const { dense, act } of layersOf(p)) {
    if (!act.identity) flops += act.width * opCounts(activationAdjointBlock(act)).afterCse;
    flops += 2 * C * dense.layer.fanIn * dense.layer.units; // X̄ = WᵀĀ
    flops += 2 * C * (dense.layer.fanIn + 1) * dense.layer.units; // W̄, b̄
  }
  return flops;
}

// ---- the kernel set of a model ---------------------------------------------------------------

export interface WgslTraining {
  forward: WgslKernel;
  backward: WgslKernel;
  /** Weight reduction for GPUs (shared-memory tiles). */
  gradReduce: WgslKernel;
  /** Weight reduction for CPU adapters (lanes over points). */
  gradReducePoints: WgslKernel;
  gradFinalize: WgslKernel;
  adam: WgslKernel;
  plan: GradientPlan;
}

/** Everything the WebGPU runtime runs for one model and route. */
export interface WgslKernelSet {
  model: string;
  route: Route;
  latentDim: number;
  outputDim: number;
  paramCount: number;
  columns: number;
  curvature: WgslKernel;
  reduceSum: WgslKernel;
  fields: OutField[];
  /** Floats per point of the output buffer. */
  perPoint: number;
  /** Null for analytic decoders (no parameters to train). */
  training: WgslTraining | null;
  flops: { curvature: number; gradient: number | null };
}

export function wgslKernelSet(model: Model, route: Route): WgslKernelSet {
  const program = decoderProgram(model, routeOrder(route));
  const { fields, perPoint } = curvatureFields(model.latentDim);
  const mlp = model.decoder.type === "mlp";
  return {
    model: model.name,
    route,
    latentDim: model.latentDim,
    outputDim: model.outputDim,
    paramCount: program.paramCount,
    columns: program.columns.length,
    curvature: curvatureKernel(model, { route, tape: false }),
    reduceSum: reduceSumKernel(),
    fields,
    perPoint,
    training: mlp
      ? {
          forward: curvatureKernel(model, { route, tape: true }),
          backward: backwardKernel(model, route),
          gradReduce: gradReduceKernel(),
          gradReducePoints: gradReducePointsKernel(),
          gradFinalize: gradFinalizeKernel(),
          adam: adamKernel(),
          plan: gradientPlan(model, route),
        }
      : null,
    flops: { curvature: curvatureFlops(model, route), gradient: mlp ? gradientFlops(model, route) : null },
  };
}
