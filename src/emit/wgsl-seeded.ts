/**
 * The curvature assembly's adjoint for a functional computed on the host (F and W): per point, the
 * host's seeds ∂L/∂R, ∂L/∂√det g and ∂L/∂g (d × d) go back through the IR's assembly block by
 * reverse mode to the Gram entries, and from there to the output layer's Ā, as in the ∫R² kernel
 * (wgsl-tiled.ts assembleKernel), whose loss R²√det g is fixed.
 *
 *   jet{A,B}AssembleSeeded   seed (n × (2 + d²), row-major at the batch index) → adj
 *
 * Degenerate points (det g ≤ cfg.detEps) get zero seeds and 1 added to their g_ii, as everywhere.
 */
import type { Route } from "../ir/kernels.js";
import { columnIndex, columnKey } from "../ir/jets.js";
import { adjoints } from "../ir/reverse.js";
import type { ScalarBlock } from "../ir/block.js";
import { printBlock } from "./printer.js";
import type { TiledPlan } from "./wgsl-tile-plan.js";
import { at, cfgBinding, gramAdjointLines, JET_POINT_UNIFORM, jetAdjointFunction, kernel, pointEntry, storage } from "./wgsl-tiled.js";
import { curvatureAssembly, gramLoop, livenessLines, region, u32, wgslDialect, type WgslKernel } from "./wgsl.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Floats per point of the seed buffer: ∂L/∂R, ∂L/∂√det g, then ∂L/∂g row-major. */
export const seedStride = (latentDim: number): number => 2 + latentDim * latentDim;

export function assembleSeededKernel(plan: TiledPlan, route: Route, inverseEpsilon = 0): WgslKernel {
  const p = plan.program;
  const C = plan.columns;
  const D = p.outputDim;
  const d = p.latentDim;
  const S = seedStride(d);
  const psiRow = region(plan.tape.tape, "psi").offset;
  const P = (c: number, k: string): string => at("tape", `${u32(psiRow + c * D)} + ${k}`);
  const asm = curvatureAssembly(p, route, inverseEpsilon);
  const b = asm.block.b;
  const output = (name: string): number => asm.block.outputs.find((o) => o.name === name)!.node;
  // Seeds: R and √det g, and each metric Gram input g_ij = G{c_i}_{c_j} (both orders of an off-diagonal pair).
  const index = columnIndex(p.columns);
  const first = range(d).map((i) => index.get(columnKey([i]))!);
  const seeds = new Map<number, number>([
    [output("R_0"), b.input("Rb")],
    [output("sqrtdetg_0"), b.input("Sb")],
  ]);
  const metricPairs = new Set<string>();
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const [c1, c2] = [Math.min(first[i]!, first[j]!), Math.max(first[i]!, first[j]!)];
      const name = `G${c1}_${c2}`;
      const node = b.findInput(name);
      if (node === undefined) throw new Error(`the assembly reads no ${name}`);
      if (i === j) metricPairs.add(name);
      seeds.set(node, i === j ? b.input(`gb${i}_${i}`) : b.add(b.input(`gb${i}_${j}`), b.input(`gb${j}_${i}`)));
    }
  const gramNodes = asm.gramPairs.map(([c1, c2]) => b.findInput(`G${c1}_${c2}`)!);
  const gbar = adjoints(b, seeds, gramNodes);
  const seedNames = ["Rb", "Sb", ...range(d).flatMap((i) => range(d).map((j) => `gb${i}_${j}`))];
  const gbarBlock: ScalarBlock = {
    b,
    inputs: [...asm.block.inputs, ...seedNames],
    outputs: gbar.map((node, k) => ({ name: `Gbar${k}`, node })),
  };
  const printedG = printBlock(gbarBlock, wgslDialect, (name) => (metricPairs.has(name) ? `(${name} + shift)` : name), "g_");
  const seedAt = (k: number): string => `select(0.0, seed[q * ${u32(S)} + ${u32(k)}], live)`;
  const body = [
    "// Gram entries of the output jet",
    ...gramLoop(asm.gramPairs, D, (c) => P(c, "k")),
    ...livenessLines(asm),
    `let Rb = ${seedAt(0)};`,
    `let Sb = ${seedAt(1)};`,
    ...range(d).flatMap((i) => range(d).map((j) => `let gb${i}_${j} = ${seedAt(2 + i * d + j)};`)),
    "// Ḡ (reverse mode through the assembly from the host's seeds)",
    ...printedG.statements,
  ];
  body.push(...gramAdjointLines(plan, asm.gramPairs, printedG.outputs, (c) => P(c, "k")));
  const last = plan.layers[plan.layers.length - 1]!;
  const head = last.act.identity ? [] : jetAdjointFunction("jetAdjoint", last.act, C);
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "seed", false), storage(3, "adj", true)];
  return kernel(
    `${plan.prefix}AssembleSeeded`,
    `per point: Ḡ from the host's seeds ∂L/∂R, ∂L/∂√det g, ∂L/∂g (route ${route.toUpperCase()}), and the output layer's Ā`,
    [`seed is n × ${S}, row-major at the batch index: ∂L/∂R, ∂L/∂√det g, ∂L/∂g (${d} × ${d}).`],
    JET_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, true)],
    plan.lanes,
  );
}
