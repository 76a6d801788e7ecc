/**
 * WGSL printer of a tile plan (wgsl-tile-plan.ts): the dense layers of a decoder's jets, of the
 * encoder and of the reconstruction as tiled matrix products, and the per-point kernels around
 * them (the input jet, the curvature assembly from the Gram of the output jet and its adjoint, the
 * reconstruction error, the encoder's output). Scalar code comes from the IR: the activations'
 * jet rules (Faà di Bruno) and their adjoints (reverse mode, ir/reverse.ts), the torus embedding,
 * the curvature assembly; all printed by the shared printer with the WGSL dialect.
 *
 *   {prefix}Input        per point: the input jet X_0 (coordinates or the torus embedding) → tape
 *   {prefix}Forward{l}   Y = W X (+b), epilogue: A_l → tape (for the adjoint), jet rule → Y_l
 *   {prefix}Adjoint{l}   X̄ = Wᵀ Ā_l, epilogue: the adjoint of layer l−1's jet rule → Ā_{l−1}
 *                        (layer 0: X̄_0 → adj for {prefix}InputAdjoint)
 *   {prefix}InputAdjoint per point: z̄ from X̄_0
 *   jet{A,B}Assemble     per point: Gram entries of psi, g, det g, √det g, R, R²√det g; training:
 *                        Ḡ and the output layer's Ā (adjoint of its activation) → adj
 *   reconSeed            per point: Σ (Ψ − x)² and Ā of the decoder's output layer
 *   encoderOut/Seed      per point: z = Φ(x) (wrapped on a periodic latent); Ā of the encoder's
 *                        output layer from z̄
 */
import { opCounts, type ScalarBlock } from "../ir/block.js";
import type { Route } from "../ir/kernels.js";
import type { Stage } from "../ir/program.js";
import { adjoints } from "../ir/reverse.js";
import { printBlock } from "./printer.js";
import { activationAdjointBlock, latentAdjoint } from "./wgsl-reverse.js";
import { uniformLayout } from "./wgsl-layout.js";
import { kTileFor, layerProductFlops, type TiledLayer, type TiledPlan } from "./wgsl-tile-plan.js";
import {
  curvatureAssembly,
  curvatureFields,
  gramLoop,
  kernelSource,
  region,
  u32,
  wgslDialect,
  type WgslBinding,
  type WgslKernel,
} from "./wgsl.js";

type ActivationStage = Extract<Stage, { kind: "activation" }>;

const indent = (lines: readonly string[], by = "  "): string[] => lines.map((l) => by + l);
const range = (n: number, from = 0): number[] => Array.from({ length: n - from }, (_, i) => from + i);

/** Uniform of the products: points in the chunk. */
export const PRODUCT_UNIFORM = uniformLayout({ n: "u32" });
/** Uniform of the per-point kernels of a decoder's jets (input, input adjoint, assembly). */
export const JET_POINT_UNIFORM = uniformLayout({ n: "u32", base: "u32", total: "u32", lbar: "f32", detEps: "f32" });
/** Uniform of the per-point kernels of value networks: scale = λ_recon/(n·D) for the reconstruction. */
export const VALUE_POINT_UNIFORM = uniformLayout({ n: "u32", scale: "f32" });

export const storage = (binding: number, name: string, write: boolean): WgslBinding => ({
  binding,
  name,
  kind: write ? "storage" : "read-only-storage",
});
export const cfgBinding: WgslBinding = { binding: 0, name: "cfg", kind: "uniform" };

export function kernel(
  name: string,
  description: string,
  notes: string[],
  uniform: ReturnType<typeof uniformLayout>,
  bindings: WgslBinding[],
  body: string[],
  size: number,
): WgslKernel {
  return {
    name,
    description,
    code: kernelSource(`${name}: ${description}`, notes, uniform, bindings, body),
    entryPoint: "main",
    workgroupSize: [size, 1, 1],
    bindings,
    uniform,
  };
}

/** Element (row, point) of a point-fastest buffer. */
export const at = (buffer: string, row: number | string, point = "p"): string =>
  `${buffer}[(${typeof row === "number" ? u32(row) : row}) * cfg.n + ${point}]`;

/** `fn name(a: array<f32, C>) -> array<f32, C>`: the activation's jet rule on one unit's jet. */
function jetRuleFunction(name: string, act: ActivationStage, C: number): string[] {
  const printed = printBlock(act.block, wgslDialect, (n) => `a[${n.slice(1)}]`, "t");
  return [
    `fn ${name}(a: array<f32, ${C}>) -> array<f32, ${C}> {`,
    ...indent(printed.statements),
    `  return array<f32, ${C}>(${printed.outputs.join(", ")});`,
    "}",
    "",
  ];
}

/** `fn name(a, yb) -> abar`: the adjoint of the jet rule (reverse mode through the IR). */
export function jetAdjointFunction(name: string, act: ActivationStage, C: number): string[] {
  const printed = printBlock(
    activationAdjointBlock(act),
    wgslDialect,
    (n) => (n.startsWith("yb") ? `yb[${n.slice(2)}]` : `a[${n.slice(1)}]`),
    "t",
  );
  return [
    `fn ${name}(a: array<f32, ${C}>, yb: array<f32, ${C}>) -> array<f32, ${C}> {`,
    ...indent(printed.statements),
    `  return array<f32, ${C}>(${printed.outputs.join(", ")});`,
    "}",
    "",
  ];
}

// ---- the products ----------------------------------------------------------------------------

interface ProductShape {
  /** Output rows (units forward, inputs for the adjoint) and the reduction length. */
  rows: number;
  K: number;
  /** W element (output row `r`, reduction index `k`), as WGSL expressions. */
  weight: (r: string, k: string) => string;
  /** Operand element (column c, reduction index `k`) at point `pp`. */
  operand: (c: number, k: string) => string;
  columns: number[];
}

/**
 * The shared loop of both products: acc{m}_{c} = Σ_k W(o0 + m, k) · operand(c, k) for the
 * workgroup's tile of rows, with the weight tile staged in workgroup memory kTile rows at a time.
 * Every lane runs the loop (clamped point index) so that the barriers stay in uniform control flow.
 */
function productLoop(plan: TiledPlan, s: ProductShape): string[] {
  const T = plan.unitTile;
  const TK = kTileFor(plan.config, T, s.K);
  const L = plan.lanes;
  const lines = [
    `let p = wg.x * ${u32(L)} + lane;`,
    "let live = p < cfg.n;",
    "let pp = min(p, cfg.n - 1u);",
    `let o0 = wg.y * ${u32(T)};`,
    ...range(T).flatMap((m) => s.columns.map((c) => `var acc${m}_${c} = 0.0;`)),
    `for (var k0 = 0u; k0 < ${u32(s.K)}; k0 += ${u32(TK)}) {`,
    `  for (var e = lane; e < ${u32(TK * T)}; e += ${u32(L)}) {`,
    `    let r = o0 + e % ${u32(T)};`,
    `    let k = k0 + e / ${u32(T)};`,
    `    Ws[e] = select(0.0, ${s.weight(`min(r, ${u32(s.rows - 1)})`, `min(k, ${u32(s.K - 1)})`)}, r < ${u32(s.rows)} && k < ${u32(s.K)});`,
    "  }",
    "  workgroupBarrier();",
    `  let kEnd = min(${u32(TK)}, ${u32(s.K)} - k0);`,
    "  for (var kk = 0u; kk < kEnd; kk++) {",
    "    let k = k0 + kk;",
    ...s.columns.map((c) => `    let x${c} = ${s.operand(c, "k")};`),
    ...range(T).map((m) => `    let w${m} = Ws[kk * ${u32(T)} + ${u32(m)}];`),
    ...range(T).flatMap((m) => s.columns.map((c) => `    acc${m}_${c} = fma(w${m}, x${c}, acc${m}_${c});`)),
    "  }",
    "  workgroupBarrier();",
    "}",
  ];
  return [`var<workgroup> Ws: array<f32, ${TK * T}>;`, "", ...jetEntry(plan, lines)];
}

const jetEntry = (plan: TiledPlan, body: string[]): string[] => [
  `@compute @workgroup_size(${plan.lanes})`,
  "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {",
  ...indent(body),
];

/** {prefix}Forward{l}: Y_l = jet rule(W X_l + b), recording A_l. */
export function forwardProductKernel(plan: TiledPlan, l: TiledLayer): WgslKernel {
  const C = plan.columns;
  const T = plan.unitTile;
  const { fanIn, units } = l;
  const cols = range(C, l.firstColumn);
  const loop = productLoop(plan, {
    rows: units,
    K: fanIn,
    weight: (r, k) => `theta[${u32(l.wOffset)} + ${r} * ${u32(fanIn)} + ${k}]`,
    operand: (c, k) => at("tape", `${u32(l.xRow + c * fanIn)} + ${k}`, "pp"),
    columns: cols,
  });
  const epilogue: string[] = [];
  for (let m = 0; m < T; m++) {
    const inner = [`let o = o0 + ${u32(m)};`];
    const jet = range(C).map((c) => (c < l.firstColumn ? "0.0" : c === 0 ? `acc${m}_0 + theta[${u32(l.bOffset)} + o]` : `acc${m}_${c}`));
    inner.push(`let a = array<f32, ${C}>(${jet.join(", ")});`);
    if (!l.act.identity)
      inner.push(...cols.map((c) => `${at("tape", `${u32(l.aRow + c * units)} + o`)} = a[${c}];`), "let y = jetRule(a);");
    else inner.push("let y = a;");
    inner.push(...cols.map((c) => `${at("tape", `${u32(l.yRow + c * units)} + o`)} = y[${c}];`));
    epilogue.push(`if (live && o0 + ${u32(m)} < ${u32(units)}) {`, ...indent(inner), "}");
  }
  const fn = l.act.identity ? [] : jetRuleFunction("jetRule", l.act, C);
  const body = [...fn, ...loop, ...indent(["// epilogue: bias, record A, the activation's jet rule (Faà di Bruno)", ...epilogue]), "}"];
  const bindings = [cfgBinding, storage(1, "theta", false), storage(2, "tape", true)];
  return kernel(
    `${plan.prefix}Forward${l.index}`,
    `layer ${l.index} (${fanIn} → ${units}, ${l.act.activation}) forward over ${C} jet column(s), tiled`,
    [
      `Grid (points / ${plan.lanes}, units / ${T}); each invocation: one point × ${T} units × ${cols.length} columns in registers.`,
      `The weight tile is staged in workgroup memory, ${kTileFor(plan.config, T, fanIn)} inputs at a time. Tape rows point-fastest.`,
    ],
    PRODUCT_UNIFORM,
    bindings,
    body,
    plan.lanes,
  );
}

/** {prefix}Adjoint{l}: X̄ = Wᵀ Ā_l, then the adjoint of layer l−1's jet rule (or X̄_0 for layer 0). */
export function adjointProductKernel(plan: TiledPlan, li: number): WgslKernel {
  const C = plan.columns;
  const T = plan.unitTile;
  const l = plan.layers[li]!;
  const prev = li > 0 ? plan.layers[li - 1]! : null;
  const { fanIn, units } = l;
  const loop = productLoop(plan, {
    rows: fanIn,
    K: units,
    weight: (r, k) => `theta[${u32(l.wOffset)} + ${k} * ${u32(fanIn)} + ${r}]`,
    operand: (c, k) => at("adj", `${u32(l.abarRow + c * units)} + ${k}`, "pp"),
    columns: range(C),
  });
  const epilogue: string[] = [];
  for (let m = 0; m < T; m++) {
    const inner = [
      `let i = o0 + ${u32(m)};`,
      `let yb = array<f32, ${C}>(${range(C)
        .map((c) => `acc${m}_${c}`)
        .join(", ")});`,
    ];
    if (!prev) inner.push(...range(C).map((c) => `${at("adj", `${u32(plan.xbarRow + c * fanIn)} + i`)} = yb[${c}];`));
    else {
      if (prev.act.identity) inner.push("let abar = yb;");
      else
        inner.push(
          `let a = array<f32, ${C}>(${range(C)
            .map((c) => at("tape", `${u32(prev.aRow + c * fanIn)} + i`))
            .join(", ")});`,
          "let abar = jetAdjoint(a, yb);",
        );
      inner.push(...range(C).map((c) => `${at("adj", `${u32(prev.abarRow + c * fanIn)} + i`)} = abar[${c}];`));
    }
    epilogue.push(`if (live && o0 + ${u32(m)} < ${u32(fanIn)}) {`, ...indent(inner), "}");
  }
  const fn = prev && !prev.act.identity ? jetAdjointFunction("jetAdjoint", prev.act, C) : [];
  const what = prev
    ? `the adjoint of layer ${prev.index}'s ${prev.act.activation} jet rule → Ā_${prev.index}`
    : "X̄_0 → adj (for the input adjoint)";
  const body = [...fn, ...loop, ...indent([`// epilogue: ${what}`, ...epilogue]), "}"];
  const bindings = [cfgBinding, storage(1, "theta", false), storage(2, "tape", false), storage(3, "adj", true)];
  return kernel(
    `${plan.prefix}Adjoint${l.index}`,
    `layer ${l.index} adjoint X̄ = WᵀĀ (${units} → ${fanIn}) over ${C} jet column(s), tiled; epilogue: ${what}`,
    [
      `Grid (points / ${plan.lanes}, inputs / ${T}); the Wᵀ tile is staged in workgroup memory, ${kTileFor(plan.config, T, units)} units at a time.`,
    ],
    PRODUCT_UNIFORM,
    bindings,
    body,
    plan.lanes,
  );
}

// ---- per-point kernels -------------------------------------------------------------------------

export const pointEntry = (plan: TiledPlan, body: readonly string[], base: boolean): string[] => [
  `@compute @workgroup_size(${plan.lanes})`,
  "fn main(@builtin(global_invocation_id) gid: vec3u) {",
  "  let p = gid.x;",
  "  if (p >= cfg.n) { return; }",
  base ? "  let q = cfg.base + p;" : "  let q = p;",
  ...indent(body),
  "}",
];

/** {prefix}Input: the input jet X_0 (C × width, every entry written) from src (n × inputs, row-major). */
export function inputKernel(plan: TiledPlan): WgslKernel {
  const p = plan.program;
  const C = plan.columns;
  const d = p.latentDim;
  const W = plan.inputWidth;
  const stage = p.stages[0]!;
  const x0 = plan.layers[0]!.xRow;
  const src = (i: number): string => `src[q * ${u32(d)} + ${u32(i)}]`;
  const body: string[] = [];
  if (stage.kind === "coordinates") {
    body.push("// coordinates: value z_i, ∂_i z_i = 1, every other entry 0");
    for (let c = 0; c < C; c++)
      for (let i = 0; i < W; i++) body.push(`${at("tape", x0 + c * W + i)} = ${c === 0 ? src(i) : c === 1 + i ? "1.0" : "0.0"};`);
  } else if (stage.kind === "torus-embedding") {
    const printed = printBlock(stage.block, wgslDialect, (name) => `zin${name.slice(1)}`, "e");
    body.push(
      "// torus embedding (cos z, sin z) and its derivatives",
      ...range(d).map((i) => `let zin${i} = ${src(i)};`),
      ...printed.statements,
    );
    stage.block.outputs.forEach((o, k) => {
      const { unit: u, column: c } = o.index!;
      body.push(`${at("tape", x0 + c * W + u)} = ${printed.outputs[k]};`);
    });
  } else throw new Error(`${plan.prefix}: no input jet for a ${stage.kind} stage`);
  const bindings = [cfgBinding, storage(1, "src", false), storage(2, "tape", true)];
  const uniform = plan.kind === "curvature" ? JET_POINT_UNIFORM : VALUE_POINT_UNIFORM;
  return kernel(
    `${plan.prefix}Input`,
    `input jet X_0 (${C} × ${W}) per point`,
    [],
    uniform,
    bindings,
    pointEntry(plan, body, plan.kind === "curvature"),
    plan.lanes,
  );
}

/** {prefix}InputAdjoint: z̄ (n × d at the batch index) from X̄_0 in adj. */
export function inputAdjointKernel(plan: TiledPlan): WgslKernel {
  const p = plan.program;
  const d = p.latentDim;
  const W = plan.inputWidth;
  const input = p.stages[0]!;
  const xbar = (c: number, u: number): string => at("adj", plan.xbarRow + c * W + u);
  const z = latentAdjoint(input, d, xbar, "e");
  const body =
    input.kind === "coordinates"
      ? ["// only the value column of the coordinate jet depends on z"]
      : [
          "// through the torus embedding (reverse mode through the IR)",
          ...range(d).map((i) => `let zin${i} = src[q * ${u32(d)} + ${u32(i)}];`),
          ...z.statements,
        ];
  body.push(...z.zbar.map((expr, i) => `zbar[q * ${u32(d)} + ${u32(i)}] = ${expr};`));
  const bindings = [cfgBinding, storage(1, "src", false), storage(2, "adj", false), storage(3, "zbar", true)];
  const uniform = plan.kind === "curvature" ? JET_POINT_UNIFORM : VALUE_POINT_UNIFORM;
  return kernel(
    `${plan.prefix}InputAdjoint`,
    "z̄ from the input jet's adjoint, per point",
    [],
    uniform,
    bindings,
    pointEntry(plan, body, plan.kind === "curvature"),
    plan.lanes,
  );
}

/** Lines computing Ā of the output layer for unit `k` from yb{c} (already declared), written to adj. */
export function outputAdjointLines(plan: TiledPlan, fn: string): string[] {
  const C = plan.columns;
  const l = plan.layers[plan.layers.length - 1]!;
  const lines = [
    `let yb = array<f32, ${C}>(${range(C)
      .map((c) => `yb${c}`)
      .join(", ")});`,
  ];
  if (l.act.identity) lines.push("let abar = yb;");
  else
    lines.push(
      `let a = array<f32, ${C}>(${range(C)
        .map((c) => at("tape", `${u32(l.aRow + c * l.units)} + k`))
        .join(", ")});`,
      `let abar = ${fn}(a, yb);`,
    );
  lines.push(...range(C).map((c) => `${at("adj", `${u32(l.abarRow + c * l.units)} + k`)} = abar[${c}];`));
  return lines;
}

/**
 * jet{A,B}Assemble: per point the Gram entries ⟨∂^αΨ, ∂^βΨ⟩ of the output jet, the curvature fields
 * (field-major at the batch index q); with `training`, Ḡ = ∂(lbar·R²√det g)/∂G (zero at degenerate
 * points, det g ≤ cfg.detEps, whose g_ii get +1 first so that it stays finite) and Ā of the output
 * layer unit by unit (Ψ̄ = Σ Ḡ Ψ is never held).
 */
export function assembleKernel(plan: TiledPlan, route: Route, training: boolean, inverseEpsilon = 0): WgslKernel {
  const p = plan.program;
  const C = plan.columns;
  const D = p.outputDim;
  const d = p.latentDim;
  const psiRow = region(plan.tape.tape, "psi").offset;
  const P = (c: number, k: string): string => at("tape", `${u32(psiRow + c * D)} + ${k}`);
  const asm = curvatureAssembly(p, route, inverseEpsilon);
  const { fields } = curvatureFields(d);
  const printed = printBlock(asm.block, wgslDialect, (name) => name, "c_");
  const body = [
    "// Gram entries of the output jet",
    ...gramLoop(asm.gramPairs, D, (c) => P(c, "k")),
    `// curvature assembly (route ${route.toUpperCase()})`,
    ...printed.statements,
  ];
  let i = 0;
  for (const f of fields)
    for (let j = 0; j < f.size; j++)
      body.push(`out[${u32(f.offset)} * cfg.total + q * ${u32(f.size)} + ${u32(j)}] = ${printed.outputs[i++]};`);
  const head: string[] = [];
  if (training) {
    const b = asm.block.b;
    const gbar = adjoints(
      b,
      new Map([[asm.loss, b.input("lbar")]]),
      asm.gramPairs.map(([c1, c2]) => b.findInput(`G${c1}_${c2}`)!),
    );
    const gbarBlock: ScalarBlock = {
      b,
      inputs: [...asm.block.inputs, "lbar"],
      outputs: gbar.map((node, k) => ({ name: `Gbar${k}`, node })),
    };
    const metricPairs = new Set(range(d).map((k) => `G${1 + k}_${1 + k}`));
    const printedG = printBlock(
      gbarBlock,
      wgslDialect,
      (name) => (name === "lbar" ? "lbarp" : metricPairs.has(name) ? `(${name} + shift)` : name),
      "g_",
    );
    const det = printed.outputs[fields.find((f) => f.name === "detg")!.offset]!;
    body.push(
      `let live = ${det} > cfg.detEps;`,
      "let shift = select(1.0, 0.0, live);",
      "let lbarp = select(0.0, cfg.lbar, live);",
      "// Ḡ (reverse mode through the assembly)",
      ...printedG.statements,
    );
    body.push(...gramAdjointLines(plan, asm.gramPairs, printedG.outputs, (c) => P(c, "k")));
    const last = plan.layers[plan.layers.length - 1]!;
    if (!last.act.identity) head.push(...jetAdjointFunction("jetAdjoint", last.act, C));
  }
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "out", true)];
  if (training) bindings.push(storage(3, "adj", true));
  const name = `${plan.prefix}Assemble${training ? "Train" : ""}`;
  return kernel(
    name,
    `per point: Gram of the output jet, g, det g, √det g, R (route ${route.toUpperCase()}${inverseEpsilon > 0 ? `, from g + ${inverseEpsilon}·I` : ""}), R²√det g${training ? "; Ḡ and the output layer's Ā" : ""}`,
    [`out is field-major: ${fields.map((f) => `${f.name} (${f.size}) at ${f.offset}·total`).join(", ")}.`],
    JET_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, true)],
    plan.lanes,
  );
}

/**
 * From Ḡ (one expression per Gram pair, ∂L/∂G_{c1c2}) to the output layer's Ā, unit by unit:
 * Ψ̄_c = Σ_{pairs ∋ c} Gb·Ψ_other with Gb doubled on the diagonal (∂G_cc/∂Ψ_c = 2Ψ_c); Ψ̄ is never held.
 */
export function gramAdjointLines(
  plan: TiledPlan,
  pairs: readonly [number, number][],
  gbar: readonly string[],
  load: (c: number) => string,
): string[] {
  const D = plan.program.outputDim;
  const lines = pairs.map(([c1, c2], k) => `let Gb${c1}_${c2} = ${c1 === c2 ? `2.0 * ${gbar[k]}` : gbar[k]};`);
  const used = [...new Set(pairs.flat())].sort((x, y) => x - y);
  const loop = used.map((c) => `let P${c} = ${load(c)};`);
  for (let c = 0; c < plan.columns; c++) {
    const terms = pairs.flatMap(([c1, c2]) => (c1 === c ? [`Gb${c1}_${c2} * P${c2}`] : c2 === c ? [`Gb${c1}_${c2} * P${c1}`] : []));
    loop.push(`let yb${c} = ${terms.length ? terms.join(" + ") : "0.0"};`);
  }
  loop.push(...outputAdjointLines(plan, "jetAdjoint"));
  return [...lines, "// Ψ̄ = ∂L/∂Ψ and Ā of the output layer, unit by unit", `for (var k = 0u; k < ${u32(D)}; k++) {`, ...indent(loop), "}"];
}

/** reconSeed: se[p] = Σ_k (Ψ_k − x_k)² and Ā of the decoder's output layer for cfg.scale · Σ se. */
export function reconSeedKernel(plan: TiledPlan): WgslKernel {
  const D = plan.program.outputDim;
  const psiRow = region(plan.tape.tape, "psi").offset;
  const last = plan.layers[plan.layers.length - 1]!;
  const loop = [
    `let r = ${at("tape", `${u32(psiRow)} + k`)} - x[p * ${u32(D)} + k];`,
    "s = fma(r, r, s);",
    "let yb0 = 2.0 * cfg.scale * r;",
    ...outputAdjointLines(plan, "jetAdjoint"),
  ];
  const body = ["var s = 0.0;", `for (var k = 0u; k < ${u32(D)}; k++) {`, ...indent(loop), "}", "se[p] = s;"];
  const head = last.act.identity ? [] : jetAdjointFunction("jetAdjoint", last.act, 1);
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "x", false), storage(3, "adj", true), storage(4, "se", true)];
  return kernel(
    "reconSeed",
    "squared error Σ (Ψ − x)² per point and Ā of the decoder's output layer",
    [],
    VALUE_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, false)],
    plan.lanes,
  );
}

const TWO_PI = wgslDialect.literal(2 * Math.PI);

/** encoderOut: z = Φ(x) from the encoder's output row, wrapped to (−π, π] on a periodic latent. */
export function encoderOutKernel(plan: TiledPlan, wrap: boolean): WgslKernel {
  const d = plan.program.outputDim;
  const psiRow = region(plan.tape.tape, "psi").offset;
  const body = range(d).flatMap((i) => {
    const v = `v${i}`;
    return [
      `let ${v} = ${at("tape", psiRow + i)};`,
      `z[p * ${u32(d)} + ${u32(i)}] = ${wrap ? `${v} - ${TWO_PI} * round(${v} / ${TWO_PI})` : v};`,
    ];
  });
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "z", true)];
  return kernel(
    "encoderOut",
    `z = Φ(x)${wrap ? ", wrapped to (−π, π]" : ""}`,
    [],
    VALUE_POINT_UNIFORM,
    bindings,
    pointEntry(plan, body, false),
    plan.lanes,
  );
}

/** encoderSeed: Ā of the encoder's output layer from z̄ + z̄_extra (the wrap has derivative 1). */
export function encoderSeedKernel(plan: TiledPlan): WgslKernel {
  const d = plan.program.outputDim;
  const last = plan.layers[plan.layers.length - 1]!;
  const at = "p * " + u32(d) + " + k";
  const loop = [`let yb0 = zbar[${at}] + zextra[${at}] + zjet[${at}];`, ...outputAdjointLines(plan, "jetAdjoint")];
  const body = [`for (var k = 0u; k < ${u32(d)}; k++) {`, ...indent(loop), "}"];
  const head = last.act.identity ? [] : jetAdjointFunction("jetAdjoint", last.act, 1);
  // zextra: the adjoint of the terms computed on the host from z alone (runtime/train/latent-terms.ts);
  // zjet: that of the decoder's contractive term, through its jets on the device (wgsl-chart.ts).
  const bindings = [
    cfgBinding,
    storage(1, "tape", false),
    storage(2, "zbar", false),
    storage(3, "adj", true),
    storage(4, "zextra", false),
    storage(5, "zjet", false),
  ];
  return kernel(
    "encoderSeed",
    "Ā of the encoder's output layer from z̄",
    [],
    VALUE_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, false)],
    plan.lanes,
  );
}

// ---- kernel sets ---------------------------------------------------------------------------------

export interface TiledKernels {
  plan: TiledPlan;
  input: WgslKernel;
  forward: WgslKernel[];
  /** adjoint[l] for every layer l (layer 0 only when the input adjoint is wanted). */
  adjoint: (WgslKernel | null)[];
  inputAdjoint: WgslKernel | null;
}

/** The products and input kernels of a plan; `inputAdjoint` adds layer 0's adjoint and z̄. */
export function tiledKernels(plan: TiledPlan, inputAdjoint: boolean): TiledKernels {
  return {
    plan,
    input: inputKernel(plan),
    forward: plan.layers.map((l) => forwardProductKernel(plan, l)),
    adjoint: plan.layers.map((_, li) => (li > 0 || inputAdjoint ? adjointProductKernel(plan, li) : null)),
    inputAdjoint: inputAdjoint ? inputAdjointKernel(plan) : null,
  };
}

// ---- FLOP counts -----------------------------------------------------------------------------------

const ops = (block: ScalarBlock): number => opCounts(block).afterCse;

/**
 * FLOPs per point of every kernel of a plan, by name (two per multiply-add of the products and Gram
 * sums, one per IR node of the scalar blocks), for per-kernel GFLOP/s. With `route`, the curvature
 * assembly kernels too.
 */
export function tiledFlops(plan: TiledPlan, route?: Route): Map<string, number> {
  const flops = new Map<string, number>();
  plan.layers.forEach((l, li) => {
    const f = layerProductFlops(plan, l);
    flops.set(`${plan.prefix}Forward${l.index}`, f.forward + (l.act.identity ? 0 : l.units * ops(l.act.block)));
    const prev = li > 0 ? plan.layers[li - 1]! : null;
    flops.set(
      `${plan.prefix}Adjoint${l.index}`,
      f.adjoint + (prev && !prev.act.identity ? l.fanIn * ops(activationAdjointBlock(prev.act)) : 0),
    );
  });
  if (route && plan.kind === "curvature") {
    const D = plan.program.outputDim;
    const asm = curvatureAssembly(plan.program, route);
    const forward = 2 * D * asm.gramPairs.length + ops(asm.block);
    flops.set(`${plan.prefix}Assemble`, forward);
    const b = asm.block.b;
    const gbar = adjoints(
      b,
      new Map([[asm.loss, b.input("lbar")]]),
      asm.gramPairs.map(([c1, c2]) => b.findInput(`G${c1}_${c2}`)!),
    );
    const last = plan.layers[plan.layers.length - 1]!;
    const adjointOps = last.act.identity ? 0 : D * ops(activationAdjointBlock(last.act));
    flops.set(
      `${plan.prefix}AssembleTrain`,
      forward +
        ops({ b, inputs: [], outputs: gbar.map((node, i) => ({ name: `o${i}`, node })) }) +
        2 * 2 * D * asm.gramPairs.length +
        adjointOps,
    );
  }
  return flops;
}

/** FLOPs of one weight-reduction dispatch (its uniform values): 2 per multiply-add. */
export const reductionFlops = (v: { n: number; cols: number; units: number; fanIn: number }): number =>
  2 * v.n * v.cols * v.units * (v.fanIn + 1);
