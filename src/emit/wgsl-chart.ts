/**
 * The chart-fixing terms (isometry, volume, conformality) on WebGPU: the two per-point kernels
 * around the tiled products of the decoder's order-1 jets at the regulariser points z̃.
 *
 *   chartMetric   G_p = J_pᵀ J_p from the output jet's derivative columns → gout (n × d × d)
 *   chartSeed     Ā of the output layer for L(G): ∂L/∂(∂_iΨ) = Σ_j (A_ij + A_ji) ∂_jΨ = 2 Σ_j A_ij ∂_jΨ
 *                 with A_p = ∂L/∂G_p (symmetric, from the host: runtime/train/chart-terms.ts)
 *
 * The terms couple the points only through batch means, so the host computes them and A from G in
 * float64 between the two kernels; the jets, the adjoint products and the weight reductions stay on
 * the device.
 */
import { columnIndex, columnKey } from "../ir/jets.js";
import type { TiledPlan } from "./wgsl-tile-plan.js";
import { at, cfgBinding, JET_POINT_UNIFORM, jetAdjointFunction, kernel, outputAdjointLines, pointEntry, storage } from "./wgsl-tiled.js";
import { u32, type WgslKernel } from "./wgsl.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const indent = (lines: readonly string[]): string[] => lines.map((l) => "  " + l);

/** The jet column of ∂_iΨ, for i < d, and a loader of column c at output unit k. */
function firstOrderColumns(plan: TiledPlan): { columns: number[]; load: (c: number) => string } {
  const p = plan.program;
  const index = columnIndex(p.columns);
  const columns = range(p.latentDim).map((i) => {
    const c = index.get(columnKey([i]));
    if (c === undefined) throw new Error(`${plan.prefix}: the plan has no first-order jet column ${i}`);
    return c;
  });
  const psiRow = plan.tape.tape.find((r) => r.name === "psi")!.offset;
  return { columns, load: (c) => at("tape", `${u32(psiRow + c * p.outputDim)} + k`) };
}

/** chartMetric: the pullback metric G_p at every point, row-major d × d at the batch index. */
export function chartMetricKernel(plan: TiledPlan): WgslKernel {
  const d = plan.program.latentDim;
  const D = plan.program.outputDim;
  const { columns, load } = firstOrderColumns(plan);
  const pairs = range(d).flatMap((i) => range(d - i).map((k) => [i, i + k] as const));
  const body = [
    ...pairs.map(([i, j]) => `var G${i}_${j} = 0.0;`),
    `for (var k = 0u; k < ${u32(D)}; k++) {`,
    ...indent(columns.map((c, i) => `let J${i} = ${load(c)};`)),
    ...indent(pairs.map(([i, j]) => `G${i}_${j} = fma(J${i}, J${j}, G${i}_${j});`)),
    "}",
    ...pairs.flatMap(([i, j]) => {
      const lines = [`gout[q * ${u32(d * d)} + ${u32(i * d + j)}] = G${i}_${j};`];
      if (i !== j) lines.push(`gout[q * ${u32(d * d)} + ${u32(j * d + i)}] = G${i}_${j};`);
      return lines;
    }),
  ];
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "gout", true)];
  return kernel(
    "chartMetric",
    "G = JᵀJ of the output jet at each regulariser point",
    [`gout is n × ${d} × ${d}, row-major at the batch index.`],
    JET_POINT_UNIFORM,
    bindings,
    pointEntry(plan, body, true),
    plan.lanes,
  );
}

/** chartSeed: Ā of the output layer from A_p = ∂L/∂G_p (gbar, n × d × d), unit by unit. */
export function chartSeedKernel(plan: TiledPlan): WgslKernel {
  const d = plan.program.latentDim;
  const D = plan.program.outputDim;
  const C = plan.columns;
  const { columns, load } = firstOrderColumns(plan);
  const A = (i: number, j: number): string => `A${i}_${j}`;
  const loop = [
    ...columns.map((c, i) => `let J${i} = ${load(c)};`),
    ...range(C).map((c) => {
      const i = columns.indexOf(c);
      if (i < 0) return `let yb${c} = 0.0;`;
      return `let yb${c} = 2.0 * (${range(d)
        .map((j) => `${A(i, j)} * J${j}`)
        .join(" + ")});`;
    }),
    ...outputAdjointLines(plan, "jetAdjoint"),
  ];
  const body = [
    ...range(d).flatMap((i) => range(d).map((j) => `let ${A(i, j)} = gbar[q * ${u32(d * d)} + ${u32(i * d + j)}];`)),
    `for (var k = 0u; k < ${u32(D)}; k++) {`,
    ...indent(loop),
    "}",
  ];
  const last = plan.layers[plan.layers.length - 1]!;
  const head = last.act.identity ? [] : jetAdjointFunction("jetAdjoint", last.act, C);
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "gbar", false), storage(3, "adj", true)];
  return kernel(
    "chartSeed",
    "Ā of the output layer for the chart-fixing terms, from ∂L/∂G per point",
    [`gbar is n × ${d} × ${d}, row-major at the batch index (symmetric).`],
    JET_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, true)],
    plan.lanes,
  );
}
