/**
 * WGSL kernels of the rest of an autoencoder training step (the curvature part is wgsl-adjoint.ts):
 *
 *   encoderForward   per point: z = Φ(x) through the encoder MLP (any activation), wrapped to (−π, π]
 *                    on a periodic latent; writes the encoder's tape (input and pre-activation of
 *                    every layer).
 *   reconStep        per point: Ψ(z) (order-0 jets of the decoder), the squared error Σ_k (Ψ_k − x_k)²,
 *                    and the reverse sweep of scale·Σ_k (Ψ_k − x_k)² (scale = λ_recon/(n·D) gives the
 *                    MSE term): Ā_l of every decoder layer (to `adj`) and z̄ = ∂/∂z.
 *   encoderBackward  per point: Ā_l of every encoder layer from z̄ (the wrap's derivative is 1).
 *   gradReduceDirect one invocation per 8 × 8 weight tile: [W̄ | b̄] = Σ_points Σ_columns Ā [X; 1]ᵀ, no
 *                    shared memory or barrier (for small batches on CPU adapters, where the
 *                    split-K kernels' tree reductions cost more than the sums themselves).
 *   trainParts       one workgroup: Σ squared errors, the masked sums of the curvature fields
 *                    (Σ m√det g R², Σ m, Σ m√det g with m = [det g > ε]) and Σ ∇² over both gradients.
 *
 * The weight gradients are the same split-K reductions as the curvature gradient's (gradReduce /
 * gradReducePoints, gradFinalize) over one jet column. Generated from the IR: the layers are the
 * order-0 decoder programs of the encoder and decoder (ir/program.ts), the activations' values
 * their jet rules at order 0, and every adjoint (activation, torus embedding) is reverse mode
 * through the IR (ir/reverse.ts), printed by the shared printer.
 *
 * Tapes use the curvature kernels' layout rules (tapeLayout, point-fastest rows) with one column.
 */
import { decoderProgram, type DecoderProgram, type Stage } from "../ir/program.js";
import type { Mlp, Model } from "../model/types.js";
import { uniformLayout } from "./wgsl-layout.js";
import { printBlock } from "./printer.js";
import { GRAD_REDUCE_UNIFORM, layerGradPlans, type LayerGradPlan } from "./wgsl-adjoint.js";
import { activationAdjointBlock, denseBackward, latentAdjoint, layersOf } from "./wgsl-reverse.js";
import {
  curvatureFields,
  denseForward,
  kernelSource,
  POINT_WORKGROUP,
  region,
  tapeAt,
  tapeLayout,
  tapeWrite,
  u32,
  wgslDialect,
  type TapeLayout,
  type WgslBinding,
  type WgslKernel,
} from "./wgsl.js";

type Dense = Extract<Stage, { kind: "dense" }>;

const indent = (lines: readonly string[], by = "  "): string[] => lines.map((l) => by + l);

/** Uniform of the per-point autoencoder kernels: the batch size and the reconstruction adjoint's scale. */
export const AE_UNIFORM = uniformLayout({ n: "u32", scale: "f32" });

/** An MLP as an order-0 program (its value only), with its tape and weight-reduction plan. */
export interface ValuePlan {
  program: DecoderProgram;
  tape: TapeLayout;
  layers: LayerGradPlan[];
  inputDim: number;
  outputDim: number;
  paramCount: number;
}

/** An MLP (the encoder, say) as a decoder program of jets of `order` with respect to its input. */
export function mlpProgram(name: string, mlp: Mlp, outputDim: number, order: number): DecoderProgram {
  // decoderProgram reads only the decoder and the dimensions: the MLP goes in as a "decoder".
  const asModel: Model = {
    name,
    latentDim: mlp.inputDim,
    outputDim,
    decoder: { type: "mlp", ...mlp },
    decoderWeights: { kind: "seed", seed: 0 },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 0 },
    sourceHash: "",
  };
  return decoderProgram(asModel, order);
}

function valuePlan(name: string, mlp: Mlp, outputDim: number): ValuePlan {
  const program = mlpProgram(name, mlp, outputDim, 0);
  const tape = tapeLayout(program);
  const layers = layerGradPlans(program, tape);
  return { program, tape, layers, inputDim: mlp.inputDim, outputDim, paramCount: program.paramCount };
}

export function encoderPlan(model: Model): ValuePlan {
  if (!model.encoder) throw new Error(`model "${model.name}" has no encoder`);
  return valuePlan(`${model.name}.encoder`, model.encoder, model.latentDim);
}

export function decoderValuePlan(model: Model): ValuePlan {
  if (model.decoder.type !== "mlp") throw new Error(`model "${model.name}": training needs an MLP decoder`);
  return valuePlan(`${model.name}.decoder`, model.decoder, model.outputDim);
}

/** Private floats per array: the widest stage. */
function scratch(p: DecoderProgram): number {
  return Math.max(
    p.latentDim,
    p.outputDim,
    ...p.stages.map((s) => (s.kind === "dense" ? Math.max(s.layer.fanIn, s.layer.units) : s.width)),
  );
}

const main = (body: readonly string[]): string[] => [
  `@compute @workgroup_size(${POINT_WORKGROUP})`,
  "fn main(@builtin(global_invocation_id) gid: vec3u) {",
  "  let p = gid.x;",
  "  if (p >= cfg.n) { return; }",
  ...indent(body),
  "}",
];

/** Forward sweep of an order-0 program, recording the tape; the output ends in the returned array. */
function forwardLines(p: DecoderProgram, tape: TapeLayout, load: (i: number) => string): { lines: string[]; out: string } {
  const lines: string[] = [`var hA: array<f32, ${scratch(p)}>;`, `var hB: array<f32, ${scratch(p)}>;`];
  let cur = "hA";
  let other = "hB";
  p.stages.forEach((stage, si) => {
    switch (stage.kind) {
      case "coordinates":
        for (let i = 0; i < stage.width; i++) lines.push(`${cur}[${u32(i)}] = ${load(i)};`);
        break;
      case "torus-embedding": {
        const printed = printBlock(stage.block, wgslDialect, (name) => `zin${name.slice(1)}`, `s${si}_`);
        const inner: string[] = [];
        for (let i = 0; i < p.latentDim; i++) inner.push(`let zin${i} = ${load(i)};`);
        inner.push(...printed.statements);
        stage.block.outputs.forEach((o, i) => {
          const u = o.index!.unit;
          inner.push(`${cur}[${u32(u)}] = ${printed.outputs[i]};`);
        });
        lines.push("// input through the torus embedding (cos, sin)", "{", ...indent(inner), "}");
        break;
      }
      case "dense":
        lines.push(`// tape: input of layer ${stage.index}`, ...tapeWrite("tape", cur, region(tape.tape, `x${stage.index}`), 1));
        lines.push(...denseForward(cur, other, stage, 1));
        [cur, other] = [other, cur];
        break;
      case "activation": {
        if (stage.identity) break;
        const layer = (p.stages[si - 1] as Dense).index;
        const printed = printBlock(stage.block, wgslDialect, (name) => name, `s${si}_`);
        lines.push(
          `// activation ${stage.activation} of layer ${layer}`,
          `for (var k = 0u; k < ${u32(stage.width)}; k++) {`,
          `  let a0 = ${cur}[k];`,
          `  ${tapeAt("tape", region(tape.tape, `a${layer}`), 0, "k")} = a0;`,
          ...indent(printed.statements),
          `  ${cur}[k] = ${printed.outputs[0]};`,
          "}",
        );
        break;
      }
      case "analytic":
        throw new Error("an analytic decoder has no parameters to train");
    }
  });
  return { lines, out: cur };
}

/**
 * Reverse sweep from the output adjoint (in array `seed`, outputDim wide) down the layers, writing
 * Ā_l to `adj`; with `inputBar`, also the adjoint of the program's input (coordinates or the torus
 * embedding's angles), assigned by `store(i, expr)`.
 */
function backwardLines(
  p: DecoderProgram,
  tape: TapeLayout,
  seed: string,
  inputBar: ((i: number, expr: string) => string) | null,
): string[] {
  const lines: string[] = [];
  let cur = seed;
  let other = seed === "hA" ? "hB" : "hA";
  const layers = layersOf(p);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { dense, act } = layers[l]!;
    const ar = region(tape.adj, `abar${l}`);
    if (act.identity) lines.push(`// layer ${l}: linear, Ā = Ȳ`, ...tapeWrite("adj", cur, ar, 1));
    else {
      const printed = printBlock(activationAdjointBlock(act), wgslDialect, (name) => name, `b${l}_`);
      lines.push(
        `// layer ${l}: adjoint of ${act.activation} (reverse mode through the IR)`,
        `for (var k = 0u; k < ${u32(dense.layer.units)}; k++) {`,
        `  let a0 = ${tapeAt("tape", region(tape.tape, `a${l}`), 0, "k")};`,
        `  let yb0 = ${cur}[k];`,
        ...indent(printed.statements),
        `  let abar = ${printed.outputs[0]};`,
        `  ${cur}[k] = abar;`,
        `  ${tapeAt("adj", ar, 0, "k")} = abar;`,
        "}",
      );
    }
    if (l === 0 && !inputBar) break;
    lines.push(...denseBackward(cur, other, dense, 1));
    [cur, other] = [other, cur];
  }
  if (!inputBar) return lines;
  const input = p.stages[0]!;
  const z = latentAdjoint(input, p.latentDim, (_c, u) => `${cur}[${u32(u)}]`, "e_");
  if (input.kind === "torus-embedding") lines.push("// input adjoint through the torus embedding (reverse mode through the IR)");
  lines.push(...z.statements, ...z.zbar.map((expr, i) => inputBar(i, expr)));
  return lines;
}

const TWO_PI = wgslDialect.literal(2 * Math.PI);

/** A kernel with one invocation per point, the autoencoder uniform and the `main` of `body`. */
function pointKernel(
  name: string,
  description: string,
  title: string,
  notes: string[],
  bindings: WgslBinding[],
  body: string[],
): WgslKernel {
  return {
    name,
    description,
    code: kernelSource(title, notes, AE_UNIFORM, bindings, main(body)),
    entryPoint: "main",
    workgroupSize: [POINT_WORKGROUP, 1, 1],
    bindings,
    uniform: AE_UNIFORM,
  };
}

/** `encoderForward`: z = Φ(x) (wrapped on a periodic latent) and the encoder's tape. */
export function encoderForwardKernel(model: Model, wrap: boolean): WgslKernel {
  const plan = encoderPlan(model);
  const { inputDim: Din, outputDim: d } = plan;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "read-only-storage" },
    { binding: 2, name: "x", kind: "read-only-storage" },
    { binding: 3, name: "tape", kind: "storage" },
    { binding: 4, name: "z", kind: "storage" },
  ];
  const { lines, out } = forwardLines(plan.program, plan.tape, (i) => `x[p * ${u32(Din)} + ${u32(i)}]`);
  const body = [...lines, wrap ? "// z wrapped to (−π, π] (periodic latent), as the tfjs trainer does" : "// z"];
  for (let i = 0; i < d; i++) {
    const v = `${out}[${u32(i)}]`;
    body.push(`z[p * ${u32(d)} + ${u32(i)}] = ${wrap ? `${v} - ${TWO_PI} * round(${v} / ${TWO_PI})` : v};`);
  }
  return pointKernel(
    "encoderForward",
    `encoder forward pass (${Din} → ${d}) with tape${wrap ? ", wrapped to (−π, π]" : ""}`,
    "encoderForward: z = Φ(x) and the encoder's tape",
    [
      `Model "${model.name}": encoder ${Din} → ${d}, ${plan.paramCount} parameters; x is n × ${Din}, z is n × ${d} (row-major).`,
      `tape: ${plan.tape.tapeRows} rows × n, point-fastest: ${plan.tape.tape.map((r) => `${r.name}@${r.offset}`).join(", ")}.`,
    ],
    bindings,
    body,
  );
}

/** `reconStep`: Ψ(z), the squared error per point and the reverse sweep of cfg.scale · Σ (Ψ − x)². */
export function reconStepKernel(model: Model): WgslKernel {
  const plan = decoderValuePlan(model);
  const d = model.latentDim;
  const D = model.outputDim;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "read-only-storage" },
    { binding: 2, name: "z", kind: "read-only-storage" },
    { binding: 3, name: "x", kind: "read-only-storage" },
    { binding: 4, name: "tape", kind: "storage" },
    { binding: 5, name: "adj", kind: "storage" },
    { binding: 6, name: "se", kind: "storage" },
    { binding: 7, name: "zbar", kind: "storage" },
  ];
  const zAt = (i: number): string => `z[p * ${u32(d)} + ${u32(i)}]`;
  const { lines, out } = forwardLines(plan.program, plan.tape, zAt);
  const body = [
    ...lines,
    "// squared error; Ψ̄ = 2·scale·(Ψ − x) replaces Ψ",
    "var s = 0.0;",
    `for (var k = 0u; k < ${u32(D)}; k++) {`,
    `  let r = ${out}[k] - x[p * ${u32(D)} + k];`,
    "  s = fma(r, r, s);",
    `  ${out}[k] = 2.0 * cfg.scale * r;`,
    "}",
    "se[p] = s;",
  ];
  if (plan.program.stages[0]!.kind === "torus-embedding") for (let i = 0; i < d; i++) body.push(`let zin${i} = ${zAt(i)};`);
  body.push(...backwardLines(plan.program, plan.tape, out, (i, expr) => `zbar[p * ${u32(d)} + ${u32(i)}] = ${expr};`));
  return pointKernel(
    "reconStep",
    "decoder value Ψ(z), squared error and its reverse sweep (reconstruction term)",
    "reconStep: Ψ(z), Σ_k (Ψ_k − x_k)² and its adjoint",
    [
      `Model "${model.name}": decoder ${d} → ${D}; z is n × ${d}, x is n × ${D}; se[p] = Σ_k (Ψ_k − x_k)².`,
      `Reverse sweep of cfg.scale · Σ_points se: Ā_l to adj (${plan.tape.adjRows} rows × n: ${plan.tape.adj.map((r) => `${r.name}@${r.offset}`).join(", ")}), ∂/∂z to zbar.`,
      `tape: ${plan.tape.tapeRows} rows × n, point-fastest: ${plan.tape.tape.map((r) => `${r.name}@${r.offset}`).join(", ")}.`,
    ],
    bindings,
    body,
  );
}

/** `encoderBackward`: Ā_l of every encoder layer from z̄ (n × d). */
export function encoderBackwardKernel(model: Model): WgslKernel {
  const plan = encoderPlan(model);
  const d = plan.outputDim;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "read-only-storage" },
    { binding: 2, name: "tape", kind: "read-only-storage" },
    { binding: 3, name: "zbar", kind: "read-only-storage" },
    { binding: 4, name: "adj", kind: "storage" },
  ];
  const body = [
    `var hA: array<f32, ${scratch(plan.program)}>;`,
    `var hB: array<f32, ${scratch(plan.program)}>;`,
    "// z̄ seeds the output (the wrap to (−π, π] has derivative 1)",
    ...Array.from({ length: d }, (_, i) => `hA[${u32(i)}] = zbar[p * ${u32(d)} + ${u32(i)}];`),
    ...backwardLines(plan.program, plan.tape, "hA", null),
  ];
  return pointKernel(
    "encoderBackward",
    "reverse sweep of the encoder from ∂L/∂z to the pre-activation adjoints",
    "encoderBackward: Ā_l of the encoder from z̄",
    [
      `Model "${model.name}": encoder ${plan.inputDim} → ${d}; reads the tape of encoderForward;`,
      `writes Ā_l to adj (${plan.tape.adjRows} rows × n: ${plan.tape.adj.map((r) => `${r.name}@${r.offset}`).join(", ")}).`,
    ],
    bindings,
    body,
  );
}

/** Edge of gradReduceDirect's register tile: 8 × 8 ran the reduction 1.4–2.4× faster than 4 × 4 on lavapipe. */
export const DIRECT_TILE = 8;

/**
 * `gradReduceDirect`: partial[o][i] (one split) = Σ_c Σ_p Ā[c][o][p] · X̃[c][i][p], X̃ = [X ; 1 on the
 * value column]; one invocation per DIRECT_TILE² tile of (unit, input), so that each loaded value
 * feeds DIRECT_TILE FMAs. Same uniform and buffers as gradReduce (cfg.chunk is unused), then
 * gradFinalize.
 */
export function gradReduceDirectKernel(): WgslKernel {
  const T = DIRECT_TILE;
  const R = Array.from({ length: T }, (_, i) => i);
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "adj", kind: "read-only-storage" },
    { binding: 2, name: "tape", kind: "read-only-storage" },
    { binding: 3, name: "partial", kind: "storage" },
  ];
  const body = [
    "@compute @workgroup_size(64)",
    "fn main(@builtin(global_invocation_id) gid: vec3u) {",
    "  let width = cfg.fanIn + 1u;",
    `  let tilesI = (width + ${u32(T - 1)}) / ${u32(T)};`,
    `  if (gid.x >= tilesI * ((cfg.units + ${u32(T - 1)}) / ${u32(T)})) { return; }`,
    `  let o0 = (gid.x / tilesI) * ${u32(T)};`,
    `  let i0 = (gid.x % tilesI) * ${u32(T)};`,
    ...R.flatMap((a) => R.map((c) => `  var acc${a}${c} = 0.0;`)),
    "  for (var c = 0u; c < cfg.cols; c++) {",
    ...R.map((a) => `    let ar${a} = (cfg.aRow + c * cfg.units + min(o0 + ${u32(a)}, cfg.units - 1u)) * cfg.n;`),
    ...R.map((c) => `    let xr${c} = (cfg.xRow + c * cfg.fanIn + min(i0 + ${u32(c)}, cfg.fanIn - 1u)) * cfg.n;`),
    ...R.map((c) => `    let xin${c} = i0 + ${u32(c)} < cfg.fanIn;`),
    ...R.map((c) => `    let xb${c} = select(0.0, 1.0, i0 + ${u32(c)} == cfg.fanIn && c == 0u);`),
    "    for (var p = 0u; p < cfg.n; p++) {",
    ...R.map((a) => `      let a${a} = adj[ar${a} + p];`),
    ...R.map((c) => `      let x${c} = select(xb${c}, tape[xr${c} + p], xin${c});`),
    ...R.flatMap((a) => R.map((c) => `      acc${a}${c} = fma(a${a}, x${c}, acc${a}${c});`)),
    "    }",
    "  }",
    ...R.flatMap((a) =>
      R.map(
        (c) =>
          `  if (o0 + ${u32(a)} < cfg.units && i0 + ${u32(c)} < width) { partial[(o0 + ${u32(a)}) * width + i0 + ${u32(c)}] = acc${a}${c}; }`,
      ),
    ),
    "}",
  ];
  return {
    name: "gradReduceDirect",
    description: `Ā_l [X_l; 1]ᵀ summed over (columns × points), one invocation per ${T} × ${T} weight tile (small batches, CPU adapters)`,
    code: kernelSource(
      `gradReduceDirect: [W̄ | b̄] = Σ Ā [X; 1]ᵀ over (columns × points), one invocation per ${T} × ${T} weight tile`,
      [
        "adj and tape rows are point-fastest: element (row, point) at row·n + point.",
        "partial is units × (fanIn + 1) (one split); gradFinalize adds it to the gradient.",
      ],
      GRAD_REDUCE_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [64, 1, 1],
    bindings,
    uniform: GRAD_REDUCE_UNIFORM,
  };
}

export const PARTS_WORKGROUP = 256;
export const PARTS_UNIFORM = uniformLayout({ n: "u32", m: "u32", curv: "u32", countE: "u32", countD: "u32", detEps: "f32" });
/** What trainParts writes, in order. */
export const PARTS_FIELDS = ["sumSquaredError", "sumR2SqrtDetG", "live", "sumSqrtDetG", "gradSqEncoder", "gradSqDecoder"] as const;

/**
 * `trainParts`: the step's scalar sums in one workgroup: squared errors over the n batch points and,
 * with cfg.curv ≠ 0, the curvature fields of the m curvature points (field-major, total = m: the
 * batch itself, or the uniform or grid measure's points), degenerate points masked with select
 * (their R may be NaN).
 */
export function trainPartsKernel(latentDim: number): WgslKernel {
  const W = PARTS_WORKGROUP;
  const K = PARTS_FIELDS.length;
  const f = (name: string): number => curvatureFields(latentDim).fields.find((x) => x.name === name)!.offset;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "se", kind: "read-only-storage" },
    { binding: 2, name: "out", kind: "read-only-storage" },
    { binding: 3, name: "gradE", kind: "read-only-storage" },
    { binding: 4, name: "gradD", kind: "read-only-storage" },
    { binding: 5, name: "parts", kind: "storage" },
  ];
  const body = [
    `var<workgroup> acc: array<f32, ${K * W}>;`,
    "",
    `@compute @workgroup_size(${W})`,
    "fn main(@builtin(local_invocation_index) t: u32) {",
    ...Array.from({ length: K }, (_, k) => `  var s${k} = 0.0;`),
    `  for (var p = t; p < cfg.n; p += ${u32(W)}) { s0 += se[p]; }`,
    `  for (var p = t; p < cfg.m; p += ${u32(W)}) {`,
    "    if (cfg.curv != 0u) {",
    `      let live = out[${u32(f("detg"))} * cfg.m + p] > cfg.detEps;`,
    `      let sq = out[${u32(f("sqrtdetg"))} * cfg.m + p];`,
    `      let R = out[${u32(f("R"))} * cfg.m + p];`,
    "      s1 += select(0.0, sq * R * R, live);",
    "      s2 += select(0.0, 1.0, live);",
    "      s3 += select(0.0, sq, live);",
    "    }",
    "  }",
    `  for (var i = t; i < cfg.countE; i += ${u32(W)}) { s4 = fma(gradE[i], gradE[i], s4); }`,
    `  for (var i = t; i < cfg.countD; i += ${u32(W)}) { s5 = fma(gradD[i], gradD[i], s5); }`,
    ...Array.from({ length: K }, (_, k) => `  acc[${u32(k * W)} + t] = s${k};`),
    "  workgroupBarrier();",
    `  for (var w = ${u32(W / 2)}; w > 0u; w = w / 2u) {`,
    `    if (t < w) { for (var k = 0u; k < ${u32(K)}; k++) { acc[k * ${u32(W)} + t] += acc[k * ${u32(W)} + t + w]; } }`,
    "    workgroupBarrier();",
    "  }",
    `  if (t < ${u32(K)}) { parts[t] = acc[t * ${u32(W)}]; }`,
    "}",
  ];
  return {
    name: "trainParts",
    description: "scalar sums of a training step: squared error, masked curvature sums, squared gradient norms",
    code: kernelSource(
      "trainParts: the step's scalar sums",
      [`parts = [${PARTS_FIELDS.join(", ")}]; curvature fields for d = ${latentDim}.`],
      PARTS_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [W, 1, 1],
    bindings,
    uniform: PARTS_UNIFORM,
  };
}

/** The generated kernels of an autoencoder step besides the curvature ones. */
export interface WgslAutoencoderSet {
  encoderForward: WgslKernel;
  reconStep: WgslKernel;
  encoderBackward: WgslKernel;
  gradReduceDirect: WgslKernel;
  trainParts: WgslKernel;
  encoder: ValuePlan;
  decoder: ValuePlan;
}

export function wgslAutoencoderSet(model: Model, wrap = model.decoder.type === "mlp" && model.decoder.torusEmbedding): WgslAutoencoderSet {
  return {
    encoderForward: encoderForwardKernel(model, wrap),
    reconStep: reconStepKernel(model),
    encoderBackward: encoderBackwardKernel(model),
    gradReduceDirect: gradReduceDirectKernel(),
    trainParts: trainPartsKernel(model.latentDim),
    encoder: encoderPlan(model),
    decoder: decoderValuePlan(model),
  };
}
