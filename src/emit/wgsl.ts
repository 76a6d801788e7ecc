/**
 * WGSL target: compute shaders generated from the same IR as the float64 TypeScript target.
 *
 * Design (one invocation per latent point). Each invocation carries the jet matrix of the current
 * layer (columns × width, column-major, as in the TypeScript target) in two private arrays and
 * ping-pongs between them through the decoder stages; the per-unit activation rules and the
 * curvature assembly are the IR's scalar blocks, printed by the shared C-style printer with a WGSL
 * {@link wgslDialect}. Dense layers are loops over the weights (read from one storage buffer at
 * offsets baked into the kernel): every invocation of a workgroup reads the same weight at the
 * same time, so the weights are broadcast, and each invocation keeps a register tile of
 * (a few units × all jet columns) accumulators, i.e. several FMAs per private-memory load.
 *
 * The output layer of an MLP (dense + its activation) is fused with the Gram sums, a tile of output
 * units at a time: the output jet (C × D, 784 wide for images) is never held, so private memory is
 * C × (widest hidden layer) floats per array (torus-ae, route A: 10 × 512), and with a linear output
 * the value column Ψ is not computed at all (the Gram entries involve derivative columns only).
 *
 * Why per point and not per layer: the work is compute-bound with a few floats in and out per
 * point (README, Performance), so a fused per-point kernel keeps every intermediate jet out of global memory
 * in the forward pass. Its limit is private memory (Dawn: 64 KiB per variable; a GPU spills large
 * private arrays to cached local memory), which caps columns × hidden width. Training needs the
 * per-layer jets anyway: the forward kernel then also writes them to a "tape" (see wgsl-adjoint.ts),
 * and the weight gradient is a batched reduction over that tape, not a per-point computation.
 *
 * Kernels emitted here:
 *  - `curvature{A,B}`: per point g, det g, √det g, R (route A or B) and the loss term R²·√det g;
 *  - `forward{A,B}`: the same, also writing the tape the adjoint kernels read;
 *  - `reduceSum`: Σ of a range of a buffer times a scale (mean of the loss terms), one workgroup.
 *
 * Buffer layout rules (uniform structs) come from runtime/webgpu/buffers.ts; array layouts are
 * described here: outputs are field-major (`out[fieldOffset·total + point·fieldSize + j]`), tapes
 * are point-fastest (`tape[(row)·n + point]`, rows = region offset + column·width + unit) so that
 * neighbouring invocations touch neighbouring addresses.
 */
import { routeJetOrder } from "../ir/kernels.js";
import { uniformLayout, wgslStruct, type UniformLayout } from "./wgsl-layout.js";
import { opCounts, type Output, type ScalarBlock } from "../ir/block.js";
import { extrinsicScalar, intrinsic, metric, type Gram } from "../ir/curvature.js";
import { Builder, type NodeId } from "../ir/graph.js";
import { canonical, columnIndex, columnKey } from "../ir/jets.js";
import type { Route } from "../ir/kernels.js";
import { decoderProgram, type DecoderProgram, type Stage } from "../ir/program.js";
import type { Model } from "../model/types.js";
import { printBlock, type Dialect } from "./printer.js";

// ---- dialect -------------------------------------------------------------------------------

const F32_MAX = 3.4028234663852886e38;

/** WGSL literals are abstract floats, concretised to f32 (or f16) where used. */
function wgslLiteral(v: number): string {
  if (!Number.isFinite(v) || Math.abs(v) > F32_MAX) throw new Error(`constant ${v} has no f32 representation`);
  if (v !== 0 && Math.abs(v) < 1e-37) v = 0; // below f32's normal range: flushed by most GPUs anyway
  let s = String(Math.abs(v));
  if (!/[.e]/.test(s)) s += ".0";
  else if (/e/.test(s) && !/\./.test(s.split("e")[0]!)) s = s.replace("e", ".0e");
  return v < 0 ? `(-${s})` : s;
}

export const wgslDialect: Dialect = {
  literal: wgslLiteral,
  // Some drivers evaluate tanh as (e^{2x} − 1)/(e^{2x} + 1), which is NaN once e^{2x} overflows;
  // |x| ≤ 20 changes nothing in f32 (1 − tanh 20 ≈ 8e−18).
  call: (fn, arg) => (fn === "tanh" ? `tanh(clamp(${arg}, -20.0, 20.0))` : `${fn}(${arg})`),
  pow: (a, b) => `pow(${a}, ${b})`,
  declare: (name, expr) => `let ${name} = ${expr};`,
};

// ---- kernel descriptions -------------------------------------------------------------------

export type BindingKind = "uniform" | "read-only-storage" | "storage";

export interface WgslBinding {
  binding: number;
  /** The WGSL variable and the runtime's name for the buffer. */
  name: string;
  kind: BindingKind;
}

/** An emitted compute shader, with what the runtime needs to bind and dispatch it. */
export interface WgslKernel {
  name: string;
  description: string;
  code: string;
  entryPoint: "main";
  workgroupSize: readonly [number, number, number];
  /** Every binding of group 0, in order; binding 0 is always the uniform struct. */
  bindings: readonly WgslBinding[];
  uniform: UniformLayout;
}

/** Points processed by one workgroup of the per-point kernels. */
export const POINT_WORKGROUP = 64;

/** The per-point kernels' uniform struct. */
export const POINT_UNIFORM = uniformLayout({
  /** Points in this dispatch (the chunk). */
  n: "u32",
  /** Index of the chunk's first point in the batch. */
  base: "u32",
  /** Points in the whole batch: the stride of the output fields. */
  total: "u32",
  /** Adjoint of the loss Σ_points R²√det g (1/total for the mean); read by the backward kernel. */
  lbar: "f32",
});

function header(title: string, lines: readonly string[]): string {
  return [`// ${title}`, ...lines.map((l) => `// ${l}`), "// Generated by ricci-gen: do not edit."].join("\n");
}

function declareBindings(bindings: readonly WgslBinding[], uniformStruct: string): string[] {
  return bindings.map((b) => {
    const type =
      b.kind === "uniform"
        ? `var<uniform> ${b.name}: ${uniformStruct}`
        : `var<storage, ${b.kind === "storage" ? "read_write" : "read"}> ${b.name}: array<f32>`;
    return `@group(0) @binding(${b.binding}) ${type};`;
  });
}

export function kernelSource(
  title: string,
  comments: readonly string[],
  uniform: UniformLayout,
  bindings: readonly WgslBinding[],
  body: readonly string[],
): string {
  return [
    header(title, comments),
    "",
    wgslStruct(uniform, "Uniforms") + ";",
    "",
    ...declareBindings(bindings, "Uniforms"),
    "",
    ...body,
    "",
  ].join("\n");
}

// ---- layouts ---------------------------------------------------------------------------------

/** One per-point output field: a block of total × size floats at offset·total. */
export interface OutField {
  name: string;
  size: number;
  offset: number;
  description: string;
}

/** Fields of the curvature/forward kernels' output buffer, field-major. */
export function curvatureFields(d: number): { fields: OutField[]; perPoint: number } {
  const list: [string, number, string][] = [
    ["g", d * d, "metric g = JᵀJ, row-major d×d"],
    ["detg", 1, "det g"],
    ["sqrtdetg", 1, "√det g"],
    ["R", 1, "scalar curvature"],
    ["loss", 1, "R²·√det g (the curvature loss term of this point)"],
  ];
  let offset = 0;
  const fields = list.map(([name, size, description]) => {
    const f = { name, size, offset, description };
    offset += size;
    return f;
  });
  return { fields, perPoint: offset };
}

/** A block of rows of a tape: row = offset + column·width + unit; element (row, point) at row·n + point. */
export interface TapeRegion {
  name: string;
  layer: number;
  width: number;
  offset: number;
}

/**
 * What the forward kernel records for the adjoint kernels, per point: the input jet of every dense
 * layer (`x{l}`, C × fanIn — the weight gradient needs it), the pre-activation jet of every
 * non-identity activation (`a{l}`, C × units — the activation adjoint needs it) and the output jet
 * (`psi`, C × D — the Gram adjoint needs it). `adj` holds the pre-activation adjoints Ā_l of every
 * layer (C × units), written by the backward kernel and reduced into the weight gradient.
 */
export interface TapeLayout {
  columns: number;
  tape: TapeRegion[];
  tapeRows: number;
  adj: TapeRegion[];
  adjRows: number;
}

export function tapeLayout(p: DecoderProgram): TapeLayout {
  const C = p.columns.length;
  const tape: TapeRegion[] = [];
  const adj: TapeRegion[] = [];
  let rows = 0;
  let adjRows = 0;
  const push = (list: TapeRegion[], name: string, layer: number, width: number, at: number): number => {
    list.push({ name, layer, width, offset: at });
    return at + C * width;
  };
  let layer = -1;
  for (const s of p.stages) {
    if (s.kind === "dense") {
      layer = s.index;
      rows = push(tape, `x${layer}`, layer, s.layer.fanIn, rows);
      adjRows = push(adj, `abar${layer}`, layer, s.layer.units, adjRows);
    }
    if (s.kind === "activation" && !s.identity) rows = push(tape, `a${layer}`, layer, s.width, rows);
  }
  rows = push(tape, "psi", p.stages.filter((s) => s.kind === "dense").length, p.outputDim, rows);
  return { columns: C, tape, tapeRows: rows, adj, adjRows };
}

export const region = (regions: readonly TapeRegion[], name: string): TapeRegion => {
  const r = regions.find((x) => x.name === name);
  if (!r) throw new Error(`no tape region ${name}`);
  return r;
};

// ---- curvature assembly --------------------------------------------------------------------

export interface Assembly {
  block: ScalarBlock;
  /** Gram pairs (c1 ≤ c2) the block reads, in the order of its inputs. */
  gramPairs: [number, number][];
  /** The loss term R²·√det g. */
  loss: NodeId;
}

/**
 * g, det g, √det g, R (route A or B) and R²√det g from Gram entries G{c1}_{c2}. With
 * `inverseEpsilon` ε > 0 (the ε-regularised inverse, a run's constant) R is assembled from g + εI,
 * while g, det g and √det g stay those of g itself: the trainer's convention (runtime/train/losses.ts).
 */
export function curvatureAssembly(p: DecoderProgram, route: Route, inverseEpsilon = 0): Assembly {
  const d = p.latentDim;
  const b = new Builder();
  const index = columnIndex(p.columns);
  const gram: Gram = (alpha, beta) => {
    const c1 = index.get(columnKey(canonical(alpha)));
    const c2 = index.get(columnKey(canonical(beta)));
    if (c1 === undefined || c2 === undefined) throw new Error(`no jet column for ${alpha} or ${beta}`);
    return b.input(`G${Math.min(c1, c2)}_${Math.max(c1, c2)}`);
  };
  const m = metric(b, d, gram);
  const shifted: Gram =
    inverseEpsilon > 0
      ? (alpha, beta) =>
          alpha.length === 1 && beta.length === 1 && alpha[0] === beta[0]
            ? b.add(gram(alpha, beta), b.num(inverseEpsilon))
            : gram(alpha, beta)
      : gram;
  const mR = inverseEpsilon > 0 ? metric(b, d, shifted) : m;
  const R = route === "a" ? intrinsic(b, d, shifted, mR).scalar : extrinsicScalar(b, d, shifted, mR);
  const sqrtdet = b.unary("sqrt", m.det);
  const loss = b.mul(b.mul(R, R), sqrtdet);
  const byField: Record<string, NodeId[]> = { g: m.g.flat(), detg: [m.det], sqrtdetg: [sqrtdet], R: [R], loss: [loss] };
  const outputs: Output[] = curvatureFields(d).fields.flatMap((f) => byField[f.name]!.map((node, j) => ({ name: `${f.name}_${j}`, node })));
  const gramPairs: [number, number][] = [];
  const inputs: string[] = [];
  for (let c1 = 0; c1 < p.columns.length; c1++)
    for (let c2 = c1; c2 < p.columns.length; c2++)
      if (b.findInput(`G${c1}_${c2}`) !== undefined) {
        gramPairs.push([c1, c2]);
        inputs.push(`G${c1}_${c2}`);
      }
  return { block: { b, inputs, outputs }, gramPairs, loss };
}

/**
 * WGSL lines declaring `live` (det g > cfg.detEps, from the unshifted Gram entries) and `shift` (1 at
 * degenerate points, added to their g_ii by the adjoints so that they stay finite there).
 */
export function livenessLines(asm: Assembly): string[] {
  const { b } = asm.block;
  const det = asm.block.outputs.find((o) => o.name === "detg_0")!.node;
  const printed = printBlock({ b, inputs: asm.block.inputs, outputs: [{ name: "detg", node: det }] }, wgslDialect, (name) => name, "m_");
  return [
    "// det g (unshifted) decides whether the point counts",
    ...printed.statements,
    `let live = ${printed.outputs[0]} > cfg.detEps;`,
    "let shift = select(1.0, 0.0, live);",
  ];
}

/** The jet order a route needs (ir/kernels.ts routeJetOrder). */
export const routeOrder = (route: Route): number => routeJetOrder(route);

// ---- code pieces -----------------------------------------------------------------------------

export const u32 = (n: number): string => `${n}u`;
const indent = (lines: readonly string[], by = "  "): string[] => lines.map((l) => by + l);

/** Largest of 4, 2, 1 dividing n: the register tile along units. */
export const tileOf = (n: number): number => (n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1);

/** Index of the last dense stage of an MLP program (fused with the Gram sums), or −1. */
export function outputDenseStage(p: DecoderProgram): number {
  let last = -1;
  p.stages.forEach((s, i) => {
    if (s.kind === "dense") last = i;
  });
  return last;
}

/**
 * Private jet arrays large enough for every stage that keeps its jet in private memory: the output
 * layer of an MLP is fused with the Gram sums, so D (784 for images) never sizes them.
 */
export function scratchFloats(p: DecoderProgram): number {
  const out = outputDenseStage(p);
  const widths = p.stages.flatMap((s, i) => {
    if (s.kind === "dense") return i === out ? [s.layer.fanIn] : [s.layer.units, s.layer.fanIn];
    if (s.kind === "activation") return i > out ? [] : [s.width];
    return [s.width];
  });
  return p.columns.length * Math.max(p.latentDim, ...widths);
}

/** Y = W X + b (bias on the value column only), register tile of `t` units × C columns. */
export function denseForward(src: string, dst: string, s: Extract<Stage, { kind: "dense" }>, C: number): string[] {
  const { fanIn, units } = s.layer;
  const t = tileOf(units);
  const lines: string[] = [`// dense layer ${s.index}: ${fanIn} → ${units}, ${C} jet columns`];
  const body = denseTile(src, s, C, t);
  for (let k = 0; k < t; k++) for (let c = 0; c < C; c++) body.push(`${dst}[${u32(c * units)} + o + ${u32(k)}] = acc${k}_${c};`);
  lines.push(`for (var o = 0u; o < ${u32(units)}; o += ${u32(t)}) {`, ...indent(body), "}");
  return lines;
}

/**
 * Accumulators acc{k}_{c} = (W X + b)[c][o + k] for a tile of t units (inside a loop over o), for
 * the columns from `first` on (the value column is skipped where nothing downstream reads it).
 */
function denseTile(src: string, s: Extract<Stage, { kind: "dense" }>, C: number, t: number, first = 0): string[] {
  const { fanIn, wOffset, bOffset } = s.layer;
  const acc = (k: number, c: number): string => `acc${k}_${c}`;
  const cols = Array.from({ length: C - first }, (_, i) => first + i);
  const body: string[] = [];
  for (let k = 0; k < t; k++)
    for (const c of cols) body.push(`var ${acc(k, c)} = ${c === 0 ? `theta[${u32(bOffset)} + o + ${u32(k)}]` : "0.0"};`);
  body.push(`for (var i = 0u; i < ${u32(fanIn)}; i++) {`);
  const inner: string[] = [];
  for (let k = 0; k < t; k++) inner.push(`let w${k} = theta[${u32(wOffset)} + (o + ${u32(k)}) * ${u32(fanIn)} + i];`);
  for (const c of cols) inner.push(`let x${c} = ${src}[${u32(c * fanIn)} + i];`);
  for (let k = 0; k < t; k++) for (const c of cols) inner.push(`${acc(k, c)} = fma(w${k}, x${c}, ${acc(k, c)});`);
  body.push(...indent(inner), "}");
  return body;
}

/** Writes C × width values of private array `src` to a tape region (point-fastest rows). */
export function tapeWrite(buffer: string, src: string, r: TapeRegion, C: number, point = "p"): string[] {
  return [
    `for (var k = 0u; k < ${u32(r.width)}; k++) {`,
    ...Array.from(
      { length: C },
      (_, c) => `  ${buffer}[(${u32(r.offset + c * r.width)} + k) * cfg.n + ${point}] = ${src}[${u32(c * r.width)} + k];`,
    ),
    "}",
  ];
}

/** Element (column c, unit expression `k`) of a tape region. */
export const tapeAt = (buffer: string, r: TapeRegion, c: number, k: string, point = "p"): string =>
  `${buffer}[(${u32(r.offset + c * r.width)} + ${k}) * cfg.n + ${point}]`;

/** The point's latent coordinate i. */
export const zAt = (d: number, i: number): string => `z[q * ${u32(d)} + ${u32(i)}]`;

const gramDeclarations = (pairs: readonly [number, number][]): string[] => pairs.map(([a, b]) => `var G${a}_${b} = 0.0;`);
const gramAccumulate = (pairs: readonly [number, number][], P: (c: number) => string): string[] =>
  pairs.map(([a, b]) => `G${a}_${b} = fma(${P(a)}, ${P(b)}, G${a}_${b});`);

/**
 * The decoder for one point, ending with the Gram entries G{c1}_{c2} = ⟨∂^{c1}Ψ, ∂^{c2}Ψ⟩ declared
 * as variables. Hidden jets ping-pong between the private arrays `jA`/`jB`; an MLP's output layer
 * (dense + activation) is fused with the Gram sums, a tile of output units at a time, so that the
 * output jet (C × D) is never held. With a tape, records x{l}, a{l} and psi.
 */
export function decoderToGram(p: DecoderProgram, tape: TapeLayout | null, pairs: readonly [number, number][]): string[] {
  const C = p.columns.length;
  const d = p.latentDim;
  const D = p.outputDim;
  const outStage = outputDenseStage(p);
  const lines: string[] = [];
  let cur = "jA";
  let other = "jB";
  for (let si = 0; si < p.stages.length; si++) {
    const stage = p.stages[si]!;
    switch (stage.kind) {
      case "coordinates":
        lines.push(`// latent coordinates: value z_i, ∂_i z_i = 1`);
        for (let i = 0; i < d; i++) lines.push(`${cur}[${u32(i)}] = ${zAt(d, i)};`, `${cur}[${u32((1 + i) * stage.width + i)}] = 1.0;`);
        break;
      case "torus-embedding":
      case "analytic": {
        lines.push(stage.kind === "analytic" ? "// analytic decoder" : "// torus embedding (cos z, sin z) and its derivatives");
        for (let i = 0; i < d; i++) lines.push(`let zin${i} = ${zAt(d, i)};`);
        const printed = printBlock(stage.block, wgslDialect, (name) => `zin${name.slice(1)}`, `s${si}_`);
        lines.push("{", ...indent(printed.statements));
        stage.block.outputs.forEach((o, i) => {
          const { unit: u, column: c } = o.index!;
          lines.push(`  ${cur}[${u32(c * stage.width + u)}] = ${printed.outputs[i]};`);
        });
        lines.push("}");
        if (stage.kind === "analytic") {
          if (tape) lines.push("// tape: output jet", ...tapeWrite("tape", cur, region(tape.tape, "psi"), C));
          const used = [...new Set(pairs.flat())].sort((a, b) => a - b);
          lines.push(
            "// Gram entries ⟨∂^αΨ, ∂^βΨ⟩",
            ...gramDeclarations(pairs),
            `for (var k = 0u; k < ${u32(D)}; k++) {`,
            ...used.map((c) => `  let P${c} = ${cur}[${u32(c * D)} + k];`),
            ...indent(gramAccumulate(pairs, (c) => `P${c}`)),
            "}",
          );
        }
        break;
      }
      case "dense":
        if (tape)
          lines.push(`// tape: input jet of layer ${stage.index}`, ...tapeWrite("tape", cur, region(tape.tape, `x${stage.index}`), C));
        if (si === outStage) {
          lines.push(...fusedOutputForward(cur, stage, p.stages[si + 1] as Extract<Stage, { kind: "activation" }>, si + 1, tape, pairs, C));
          return lines;
        }
        lines.push(...denseForward(cur, other, stage, C));
        [cur, other] = [other, cur];
        break;
      case "activation": {
        if (stage.identity) break;
        const layer = (p.stages[si - 1] as Extract<Stage, { kind: "dense" }>).index;
        const printed = printBlock(stage.block, wgslDialect, (name) => name, `s${si}_`);
        const body: string[] = [];
        for (let c = 0; c < C; c++) body.push(`let a${c} = ${cur}[${u32(c * stage.width)} + k];`);
        if (tape) {
          const r = region(tape.tape, `a${layer}`);
          for (let c = 0; c < C; c++) body.push(`${tapeAt("tape", r, c, "k")} = a${c};`);
        }
        body.push(...printed.statements);
        printed.outputs.forEach((expr, c) => body.push(`${cur}[${u32(c * stage.width)} + k] = ${expr};`));
        lines.push(
          `// activation ${stage.activation} of layer ${layer}, jet rule per unit (Faà di Bruno)`,
          `for (var k = 0u; k < ${u32(stage.width)}; k++) {`,
          ...indent(body),
          "}",
        );
        break;
      }
    }
  }
  return lines;
}

/** The output layer, its activation and the Gram sums in one loop over tiles of output units. */
function fusedOutputForward(
  src: string,
  dense: Extract<Stage, { kind: "dense" }>,
  act: Extract<Stage, { kind: "activation" }>,
  actStage: number,
  tape: TapeLayout | null,
  pairs: readonly [number, number][],
  C: number,
): string[] {
  const D = dense.layer.units;
  const t = tileOf(D);
  // The Gram entries involve derivative columns only; with a linear output Ψ itself is not needed
  // (its tape column is left unwritten: the backward kernel does not read it either).
  const first = act.identity ? 1 : 0;
  const body = denseTile(src, dense, C, t, first);
  const printed = act.identity ? null : printBlock(act.block, wgslDialect, (name) => name, `s${actStage}_`);
  for (let k = 0; k < t; k++) {
    const unit: string[] = [];
    for (let c = first; c < C; c++) unit.push(`let a${c} = acc${k}_${c};`);
    if (tape && printed) {
      const r = region(tape.tape, `a${dense.index}`);
      for (let c = 0; c < C; c++) unit.push(`${tapeAt("tape", r, c, `o + ${u32(k)}`)} = a${c};`);
    }
    if (printed) unit.push(...printed.statements);
    for (let c = first; c < C; c++) unit.push(`let y${c} = ${printed ? printed.outputs[c] : `a${c}`};`);
    if (tape) {
      const r = region(tape.tape, "psi");
      for (let c = first; c < C; c++) unit.push(`${tapeAt("tape", r, c, `o + ${u32(k)}`)} = y${c};`);
    }
    unit.push(...gramAccumulate(pairs, (c) => `y${c}`));
    body.push(`{ // output unit o + ${k}`, ...indent(unit), "}");
  }
  return [
    `// output layer ${dense.index} (${dense.layer.fanIn} → ${D}${act.identity ? "" : `, ${act.activation}`}) fused with the Gram sums ⟨∂^αΨ, ∂^βΨ⟩`,
    ...gramDeclarations(pairs),
    `for (var o = 0u; o < ${u32(D)}; o += ${u32(t)}) {`,
    ...indent(body),
    "}",
  ];
}

/** Declares and accumulates the Gram entries G{c1}_{c2} = Σ_k P[c1][k]·P[c2][k]. */
export function gramLoop(pairs: readonly [number, number][], D: number, load: (c: number) => string): string[] {
  const used = [...new Set(pairs.flat())].sort((a, b) => a - b);
  return [
    ...pairs.map(([a, b]) => `var G${a}_${b} = 0.0;`),
    `for (var k = 0u; k < ${u32(D)}; k++) {`,
    ...used.map((c) => `  let P${c} = ${load(c)};`),
    ...pairs.map(([a, b]) => `  G${a}_${b} = fma(P${a}, P${b}, G${a}_${b});`),
    "}",
  ];
}

// ---- kernels ---------------------------------------------------------------------------------

export interface PointKernelOptions {
  route: Route;
  /** Also write the tape for the adjoint kernels. */
  tape: boolean;
}

/** Bindings of the per-point forward kernels. */
export function forwardBindings(tape: boolean): WgslBinding[] {
  const list: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "read-only-storage" },
    { binding: 2, name: "z", kind: "read-only-storage" },
    { binding: 3, name: "out", kind: "storage" },
  ];
  if (tape) list.push({ binding: 4, name: "tape", kind: "storage" });
  return list;
}

export const pointMain = (body: readonly string[]): string[] => [
  `@compute @workgroup_size(${POINT_WORKGROUP})`,
  "fn main(@builtin(global_invocation_id) gid: vec3u) {",
  "  let p = gid.x;",
  "  if (p >= cfg.n) { return; }",
  "  let q = cfg.base + p;",
  ...indent(body),
  "}",
];

/** `curvature{A,B}` (or `forward{A,B}` with the tape): per point g, det g, √det g, R and R²√det g. */
export function curvatureKernel(model: Model, opts: PointKernelOptions): WgslKernel {
  const p = decoderProgram(model, routeOrder(opts.route));
  const C = p.columns.length;
  const D = p.outputDim;
  const tape = opts.tape ? tapeLayout(p) : null;
  const asm = curvatureAssembly(p, opts.route);
  const { fields } = curvatureFields(p.latentDim);
  const body: string[] = [
    `var jA: array<f32, ${scratchFloats(p)}>;`,
    `var jB: array<f32, ${scratchFloats(p)}>;`,
    ...decoderToGram(p, tape, asm.gramPairs),
  ];
  const printed = printBlock(asm.block, wgslDialect, (name) => name, "c_");
  body.push(`// curvature assembly (route ${opts.route.toUpperCase()})`, ...printed.statements);
  let i = 0;
  for (const f of fields)
    for (let j = 0; j < f.size; j++)
      body.push(`out[${u32(f.offset)} * cfg.total + q * ${u32(f.size)} + ${u32(j)}] = ${printed.outputs[i++]};`);
  const route = opts.route.toUpperCase();
  const name = `${opts.tape ? "forward" : "curvature"}${route}`;
  const bindings = forwardBindings(opts.tape);
  const comments = [
    `Model "${model.name}": d = ${p.latentDim}, D = ${D}, ${p.paramCount} parameters, jets of order ${p.order} (${C} columns).`,
    `One invocation per point; z is n × d row-major; theta is the flat parameter vector (W_l row-major then b_l).`,
    `out is field-major: ${fields.map((f) => `${f.name} (${f.size}) at ${f.offset}·total`).join(", ")}.`,
  ];
  if (tape) comments.push(`tape: ${tape.tapeRows} rows × n, point-fastest: ${tape.tape.map((r) => `${r.name}@${r.offset}`).join(", ")}.`);
  return {
    name,
    description: `${opts.tape ? "forward pass with tape" : "curvature"}, route ${route}: g, det g, √det g, R, R²√det g per point`,
    code: kernelSource(
      `${name}: ${opts.tape ? "forward jets + tape" : "curvature"} (route ${route})`,
      comments,
      POINT_UNIFORM,
      bindings,
      pointMain(body),
    ),
    entryPoint: "main",
    workgroupSize: [POINT_WORKGROUP, 1, 1],
    bindings,
    uniform: POINT_UNIFORM,
  };
}

export const REDUCE_WORKGROUP = 256;
export const REDUCE_UNIFORM = uniformLayout({ count: "u32", offset: "u32", dst: "u32", scale: "f32" });

/** dst[cfg.dst] = scale · Σ src[offset .. offset + count): one workgroup, a tree in shared memory. */
export function reduceSumKernel(): WgslKernel {
  const W = REDUCE_WORKGROUP;
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "src", kind: "read-only-storage" },
    { binding: 2, name: "dst", kind: "storage" },
  ];
  const body = [
    `var<workgroup> partial: array<f32, ${W}>;`,
    "",
    `@compute @workgroup_size(${W})`,
    "fn main(@builtin(local_invocation_index) t: u32) {",
    "  var s = 0.0;",
    `  for (var i = t; i < cfg.count; i += ${u32(W)}) { s += src[cfg.offset + i]; }`,
    "  partial[t] = s;",
    "  workgroupBarrier();",
    `  for (var w = ${u32(W / 2)}; w > 0u; w = w / 2u) {`,
    "    if (t < w) { partial[t] += partial[t + w]; }",
    "    workgroupBarrier();",
    "  }",
    "  if (t == 0u) { dst[cfg.dst] = partial[0] * cfg.scale; }",
    "}",
  ];
  return {
    name: "reduceSum",
    description: "scale · Σ of a range of a buffer (the mean loss)",
    code: kernelSource("reduceSum: dst[dst] = scale · Σ src[offset .. offset + count)", [], REDUCE_UNIFORM, bindings, body),
    entryPoint: "main",
    workgroupSize: [W, 1, 1],
    bindings,
    uniform: REDUCE_UNIFORM,
  };
}

// ---- FLOP counts -----------------------------------------------------------------------------

const blockOps = (b: ScalarBlock): number => opCounts(b).afterCse;

/**
 * Arithmetic per point of the curvature kernel, counting one FLOP per IR node (a transcendental
 * counts one) and two per multiply-add of the dense loops and Gram sums.
 */
export function curvatureFlops(model: Model, route: Route): number {
  const p = decoderProgram(model, routeOrder(route));
  const C = p.columns.length;
  let flops = 0;
  const out = outputDenseStage(p);
  p.stages.forEach((s, i) => {
    // A linear output layer skips the value column (see fusedOutputForward).
    const linearOut = i === out && (p.stages[i + 1] as Extract<Stage, { kind: "activation" }>).identity;
    if (s.kind === "dense") flops += 2 * (linearOut ? C - 1 : C) * s.layer.fanIn * s.layer.units;
    else if (s.kind === "activation" && !s.identity) flops += s.width * blockOps(s.block);
    else if (s.kind === "torus-embedding" || s.kind === "analytic") flops += blockOps(s.block);
  });
  const asm = curvatureAssembly(p, route);
  return flops + 2 * p.outputDim * asm.gramPairs.length + blockOps(asm.block);
}
