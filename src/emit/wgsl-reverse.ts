/**
 * Reverse-mode pieces shared by the WGSL kernels: the adjoint of an activation's jet rule and of
 * the input embedding, both by reverse mode through the IR blocks (ir/reverse.ts), and the per-point
 * X̄ = WᵀĀ loop of the per-point kernels.
 */
import type { ScalarBlock } from "../ir/block.js";
import type { NodeId } from "../ir/graph.js";
import type { DecoderProgram, Stage } from "../ir/program.js";
import { adjoints } from "../ir/reverse.js";
import { printBlock } from "./printer.js";
import { tileOf, u32, wgslDialect } from "./wgsl.js";

type Dense = Extract<Stage, { kind: "dense" }>;
type Activation = Extract<Stage, { kind: "activation" }>;

const indent = (lines: readonly string[], by = "  "): string[] => lines.map((l) => by + l);

export function layersOf(p: DecoderProgram): { dense: Dense; act: Activation }[] {
  const out: { dense: Dense; act: Activation }[] = [];
  p.stages.forEach((s, i) => {
    if (s.kind === "dense") out.push({ dense: s, act: p.stages[i + 1] as Activation });
  });
  return out;
}

/** Seeds output nodes with new inputs `${prefix}{i}` (summing where two outputs share a node). */
export function seedOutputs(block: ScalarBlock, prefix: string): { seeds: Map<NodeId, NodeId>; names: string[] } {
  const seeds = new Map<NodeId, NodeId>();
  const names: string[] = [];
  block.outputs.forEach((o, i) => {
    const name = `${prefix}${i}`;
    names.push(name);
    const s = block.b.input(name);
    const prev = seeds.get(o.node);
    seeds.set(o.node, prev === undefined ? s : block.b.add(prev, s));
  });
  return { seeds, names };
}

/** The activation's adjoint block: inputs a0…, yb0…; outputs abar0… (= Σ_c ȳ_c ∂y_c/∂a_·). */
export function activationAdjointBlock(act: Activation): ScalarBlock {
  const b = act.block.b;
  const { seeds, names } = seedOutputs(act.block, "yb");
  const wrt = act.block.inputs.map((n) => b.findInput(n)!);
  const bars = adjoints(b, seeds, wrt);
  return { b, inputs: [...act.block.inputs, ...names], outputs: bars.map((node, c) => ({ name: `abar${c}`, node })) };
}

/**
 * z̄ from the adjoint of the input jet X̄_0 (`xbar(c, u)`: column c, unit u): its value column for
 * coordinates; reverse mode through the IR for the torus embedding, whose block reads z_i as
 * `zin{i}` (the caller declares them). Statements first, then one expression per coordinate.
 */
export function latentAdjoint(
  input: Stage,
  d: number,
  xbar: (c: number, u: number) => string,
  prefix: string,
): { statements: string[]; zbar: string[] } {
  if (input.kind === "coordinates") return { statements: [], zbar: Array.from({ length: d }, (_, i) => xbar(0, i)) };
  if (input.kind !== "torus-embedding") throw new Error(`no latent adjoint for a ${input.kind} stage`);
  const { seeds } = seedOutputs(input.block, "xb");
  const zNodes = input.block.inputs.map((n) => input.block.b.findInput(n)!);
  const bars = adjoints(input.block.b, seeds, zNodes);
  const zblock: ScalarBlock = { b: input.block.b, inputs: [], outputs: bars.map((node, i) => ({ name: `zbar${i}`, node })) };
  const seedExpr = (name: string): string => {
    if (!name.startsWith("xb")) return `zin${name.slice(1)}`;
    const { unit: u, column: c } = input.block.outputs[Number(name.slice(2))]!.index!;
    return xbar(c, u);
  };
  const printed = printBlock(zblock, wgslDialect, seedExpr, prefix);
  return { statements: printed.statements, zbar: printed.outputs };
}

/** X̄ = Wᵀ Ā for one dense layer (register tile of `t` inputs × C columns). */
export function denseBackward(src: string, dst: string, s: Dense, C: number): string[] {
  const { fanIn, units, wOffset } = s.layer;
  const t = tileOf(fanIn);
  const acc = (k: number, c: number): string => `acc${k}_${c}`;
  const body: string[] = [];
  for (let k = 0; k < t; k++) for (let c = 0; c < C; c++) body.push(`var ${acc(k, c)} = 0.0;`);
  const inner: string[] = [];
  for (let k = 0; k < t; k++) inner.push(`let w${k} = theta[${u32(wOffset)} + o * ${u32(fanIn)} + i + ${u32(k)}];`);
  for (let c = 0; c < C; c++) inner.push(`let y${c} = ${src}[${u32(c * units)} + o];`);
  for (let k = 0; k < t; k++) for (let c = 0; c < C; c++) inner.push(`${acc(k, c)} = fma(w${k}, y${c}, ${acc(k, c)});`);
  body.push(`for (var o = 0u; o < ${u32(units)}; o++) {`, ...indent(inner), "}");
  for (let k = 0; k < t; k++) for (let c = 0; c < C; c++) body.push(`${dst}[${u32(c * fanIn)} + i + ${u32(k)}] = ${acc(k, c)};`);
  return [
    `// X̄ = Wᵀ Ā for layer ${s.index}: ${units} → ${fanIn}`,
    `for (var i = 0u; i < ${u32(fanIn)}; i += ${u32(t)}) {`,
    ...indent(body),
    "}",
  ];
}
