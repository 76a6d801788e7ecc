/**
 * Terms of the pullback metric G = JᵀJ of an MLP's order-1 jets on WebGPU: the two per-point kernels
 * around the tiled products of the jets (the decoder's at the regulariser points z̃ or at the codes,
 * or the encoder's at the data).
 *
 *   {prefix}Metric   "matrix": G_p → gout (n × d × d); "trace": Tr G_p = ‖J_p‖²_F → gout (n)
 *   {prefix}Seed     Ā of the output layer for L(G): ∂L/∂(∂_iΨ) = Σ_j (A_ij + A_ji) ∂_jΨ = 2 Σ_j A_ij ∂_jΨ
 *                    with A_p = ∂L/∂G_p (symmetric) from the host, or A_p = a_p·I in "trace" mode
 *
 * The terms couple the points through batch means or maxima, so the host computes them and A from G
 * in float64 between the two kernels (runtime/train/chart-terms.ts); the jets, the adjoint products
 * and the weight reductions stay on the device.
 *
 *   chart   the chart-fixing terms (isometry, volume, conformality): the decoder at z̃, "matrix"
 *   decJ    the decoder's contractive term ‖J_Ψ(z)‖_F: the decoder at the codes, "trace", with z̄
 *   encJ    the contractive term ‖J_Φ(x)‖_F: the encoder at the data, "trace"
 */
import { columnIndex, columnKey } from "../ir/jets.js";
import type { TiledPlan } from "./wgsl-tile-plan.js";
import { at, cfgBinding, JET_POINT_UNIFORM, jetAdjointFunction, kernel, outputAdjointLines, pointEntry, storage } from "./wgsl-tiled.js";
import { region, u32, type WgslKernel } from "./wgsl.js";

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
  const psiRow = region(plan.tape.tape, "psi").offset;
  return { columns, load: (c) => at("tape", `${u32(psiRow + c * p.outputDim)} + k`) };
}

export type MetricMode = "matrix" | "trace";

/** {prefix}Metric: G_p (row-major d × d) or its trace at every point, at the batch index. */
export function jetMetricKernel(plan: TiledPlan, mode: MetricMode): WgslKernel {
  const d = plan.program.latentDim;
  const D = plan.program.outputDim;
  const { columns, load } = firstOrderColumns(plan);
  const pairs =
    mode === "trace" ? range(d).map((i) => [i, i] as const) : range(d).flatMap((i) => range(d - i).map((k) => [i, i + k] as const));
  const stores =
    mode === "trace"
      ? [`gout[q] = ${pairs.map(([i, j]) => `G${i}_${j}`).join(" + ")};`]
      : pairs.flatMap(([i, j]) => {
          const lines = [`gout[q * ${u32(d * d)} + ${u32(i * d + j)}] = G${i}_${j};`];
          if (i !== j) lines.push(`gout[q * ${u32(d * d)} + ${u32(j * d + i)}] = G${i}_${j};`);
          return lines;
        });
  const body = [
    ...pairs.map(([i, j]) => `var G${i}_${j} = 0.0;`),
    `for (var k = 0u; k < ${u32(D)}; k++) {`,
    ...indent(columns.map((c, i) => `let J${i} = ${load(c)};`)),
    ...indent(pairs.map(([i, j]) => `G${i}_${j} = fma(J${i}, J${j}, G${i}_${j});`)),
    "}",
    ...stores,
  ];
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "gout", true)];
  return kernel(
    `${plan.prefix}Metric`,
    mode === "trace" ? "Tr JᵀJ = ‖J‖²_F of the output jet at each point" : "G = JᵀJ of the output jet at each point",
    [mode === "trace" ? "gout is n floats." : `gout is n × ${d} × ${d}, row-major at the batch index.`],
    JET_POINT_UNIFORM,
    bindings,
    pointEntry(plan, body, true),
    plan.lanes,
  );
}

/** {prefix}Seed: Ā of the output layer from A_p = ∂L/∂G_p (gbar: n × d × d, or n scalars a_p for A_p = a_p·I). */
export function jetSeedKernel(plan: TiledPlan, mode: MetricMode): WgslKernel {
  const d = plan.program.latentDim;
  const D = plan.program.outputDim;
  const C = plan.columns;
  const { columns, load } = firstOrderColumns(plan);
  const A = (i: number, j: number): string => `A${i}_${j}`;
  const seed = (i: number): string =>
    mode === "trace"
      ? `2.0 * a * J${i}`
      : `2.0 * (${range(d)
          .map((j) => `${A(i, j)} * J${j}`)
          .join(" + ")})`;
  const loop = [
    ...columns.map((c, i) => `let J${i} = ${load(c)};`),
    ...range(C).map((c) => {
      const i = columns.indexOf(c);
      return `let yb${c} = ${i < 0 ? "0.0" : seed(i)};`;
    }),
    ...outputAdjointLines(plan, "jetAdjoint"),
  ];
  const loads =
    mode === "trace"
      ? ["let a = gbar[q];"]
      : range(d).flatMap((i) => range(d).map((j) => `let ${A(i, j)} = gbar[q * ${u32(d * d)} + ${u32(i * d + j)}];`));
  const body = [...loads, `for (var k = 0u; k < ${u32(D)}; k++) {`, ...indent(loop), "}"];
  const last = plan.layers[plan.layers.length - 1]!;
  const head = last.act.identity ? [] : jetAdjointFunction("jetAdjoint", last.act, C);
  const bindings = [cfgBinding, storage(1, "tape", false), storage(2, "gbar", false), storage(3, "adj", true)];
  return kernel(
    `${plan.prefix}Seed`,
    "Ā of the output layer for a term of G = JᵀJ, from ∂L/∂G per point",
    [mode === "trace" ? "gbar is n floats a_p (∂L/∂G_p = a_p·I)." : `gbar is n × ${d} × ${d}, row-major at the batch index (symmetric).`],
    JET_POINT_UNIFORM,
    bindings,
    [...head, ...pointEntry(plan, body, true)],
    plan.lanes,
  );
}
