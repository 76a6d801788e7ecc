/**
 * The kernel set of a model: what `compile` emits. A kernel evaluates the decoder program at each
 * point of a batch, then either returns jet columns of one order (Ψ, J, ∇²Ψ, ∇³Ψ) or reduces
 * them to Gram entries ⟨∂^αΨ, ∂^βΨ⟩ and runs a scalar assembly block (g, Γ, Riemann, Ricci, R).
 */
import type { Model } from "../model/types.js";
import { opCounts, schedule, type OpCounts, type Output, type ScalarBlock } from "./block.js";
import { christoffelOnly, extrinsicScalar, intrinsic, metric, type Gram } from "./curvature.js";
import { Builder, type NodeId } from "./graph.js";
import { canonical, columnIndex, columnKey, jetColumns, type MultiIndex } from "./jets.js";
import { decoderProgram, type DecoderProgram } from "./program.js";

export type Route = "a" | "b";

/** The one route → kernel mapping: R's kernel, and the jet order it needs (∇³Ψ for A, ∇²Ψ for B). */
export const curvatureKernelName = (route: Route): "scalarCurvatureA" | "scalarCurvatureB" =>
  route === "a" ? "scalarCurvatureA" : "scalarCurvatureB";
export const routeJetOrder = (route: Route): 2 | 3 => (route === "a" ? 3 : 2);

/** One output array of a kernel: `shape` per point, flattened row-major. */
export interface Field {
  name: string;
  shape: number[];
  description: string;
}

/** Columns of one derivative order, copied out of the jets for every output component. */
export interface JetOutput {
  kind: "jets";
  order: number;
  field: Field;
}

export interface AssemblyOutput {
  kind: "assembly";
  /** Inputs are named G{c1}_{c2} with c1 ≤ c2 column positions; outputs {field}_{flat index}. */
  block: ScalarBlock;
  gramPairs: [number, number][];
  fields: Field[];
}

export interface Kernel {
  name: string;
  description: string;
  program: DecoderProgram;
  output: JetOutput | AssemblyOutput;
}

/** Gram accessor that creates inputs G{c1}_{c2} on first use. */
function gramInputs(b: Builder, columns: MultiIndex[]): Gram {
  const index = columnIndex(columns);
  return (alpha, beta) => {
    const c1 = index.get(columnKey(canonical(alpha)));
    const c2 = index.get(columnKey(canonical(beta)));
    if (c1 === undefined || c2 === undefined) throw new Error(`no jet column for ${alpha} or ${beta}`);
    return b.input(`G${Math.min(c1, c2)}_${Math.max(c1, c2)}`);
  };
}

function assemblyKernel(
  model: Model,
  name: string,
  description: string,
  order: number,
  build: (b: Builder, gram: Gram) => { field: Field; nodes: NodeId[] }[],
): Kernel {
  const program = decoderProgram(model, order);
  const b = new Builder();
  const parts = build(b, gramInputs(b, program.columns));
  const outputs: Output[] = parts.flatMap(({ field, nodes }) => nodes.map((node, i) => ({ name: `${field.name}_${i}`, node })));
  // Only Gram entries the outputs still depend on become inputs: each costs D multiply-adds per point.
  const live = new Set(schedule({ b, inputs: [], outputs }).map((id) => b.node(id).name));
  const gramPairs: [number, number][] = [];
  const inputs: string[] = [];
  for (let c1 = 0; c1 < program.columns.length; c1++)
    for (let c2 = c1; c2 < program.columns.length; c2++) {
      const input = `G${c1}_${c2}`;
      if (live.has(input)) {
        gramPairs.push([c1, c2]);
        inputs.push(input);
      }
    }
  return {
    name,
    description,
    program,
    output: { kind: "assembly", block: { b, inputs, outputs }, gramPairs, fields: parts.map((p) => p.field) },
  };
}

const flat2 = (m: NodeId[][]): NodeId[] => m.flat();

/** The kernels `compile` emits for a model; route A needs third derivatives, route B second. */
export function modelKernels(model: Model, routes: readonly Route[] = ["a", "b"]): Kernel[] {
  const d = model.latentDim;
  const D = model.outputDim;
  const ncols = (order: number): number => jetColumns(d, order).length - jetColumns(d, order - 1).length;
  const jetKernel = (name: string, order: number, description: string): Kernel => ({
    name,
    description,
    program: decoderProgram(model, order),
    output: { kind: "jets", order, field: { name, shape: order === 0 ? [D] : [D, ncols(order)], description } },
  });
  const field = (name: string, shape: number[], description: string): Field => ({ name, shape, description });
  const metricFields = (b: Builder, gram: Gram) => {
    const m = metric(b, d, gram);
    return {
      m,
      fields: [
        { field: field("g", [d, d], "metric g = JᵀJ"), nodes: flat2(m.g) },
        { field: field("detg", [], "det g"), nodes: [m.det] },
        { field: field("sqrtdetg", [], "√det g, the volume density"), nodes: [b.unary("sqrt", m.det)] },
      ],
    };
  };

  const kernels: Kernel[] = [
    jetKernel("psi", 0, "decoder output Ψ"),
    jetKernel("jacobian", 1, "J = ∂Ψ/∂z, columns ∂_iΨ"),
    jetKernel("hessian", 2, "∂_ijΨ for i ≤ j"),
    assemblyKernel(model, "metric", "g, det g, √det g", 1, (b, gram) => metricFields(b, gram).fields),
    assemblyKernel(model, "inverseMetric", "g⁻¹", 1, (b, gram) => [
      { field: field("ginv", [d, d], "inverse metric g⁻¹"), nodes: flat2(metric(b, d, gram).ginv) },
    ]),
    assemblyKernel(model, "christoffel", "Christoffel symbols Γ^i_kl", 2, (b, gram) => {
      const m = metric(b, d, gram);
      return [{ field: field("gamma", [d, d, d], "Γ^i_kl, index order [i][k][l]"), nodes: christoffelOnly(b, d, gram, m).flat(2) }];
    }),
  ];
  if (routes.includes("a")) {
    kernels.push(
      jetKernel("third", 3, "∂_ijkΨ for i ≤ j ≤ k"),
      assemblyKernel(model, "riemann", "Riemann tensor R^i_jkl (route A)", 3, (b, gram) => [
        { field: field("riemann", [d, d, d, d], "R^i_jkl, index order [i][j][k][l]"), nodes: intrinsic(b, d, gram).riemann.flat(3) },
      ]),
      assemblyKernel(model, "ricci", "Ricci tensor (route A)", 3, (b, gram) => [
        { field: field("ricci", [d, d], "Ric_ab = R^c_acb"), nodes: flat2(intrinsic(b, d, gram).ricci) },
      ]),
      assemblyKernel(model, "scalarCurvatureA", "scalar curvature R, intrinsic route A (∇³Ψ)", 3, (b, gram) => {
        const { m, fields } = metricFields(b, gram);
        return [{ field: field("R", [], "scalar curvature"), nodes: [intrinsic(b, d, gram, m).scalar] }, ...fields.slice(1)];
      }),
    );
  }
  if (routes.includes("b")) {
    kernels.push(
      assemblyKernel(model, "scalarCurvatureB", "scalar curvature R, Gauss-equation route B (∇²Ψ)", 2, (b, gram) => {
        const { m, fields } = metricFields(b, gram);
        return [{ field: field("R", [], "scalar curvature"), nodes: [extrinsicScalar(b, d, gram, m)] }, ...fields.slice(1)];
      }),
    );
  }
  return kernels;
}

/** Op counts of a kernel's scalar blocks (activation rules and assembly), for the manifest. */
export function kernelOpCounts(k: Kernel): OpCounts {
  const blocks: ScalarBlock[] = k.program.stages.flatMap((s) => ("block" in s ? [s.block] : []));
  if (k.output.kind === "assembly") blocks.push(k.output.block);
  return blocks.map(opCounts).reduce((acc, c) => ({ beforeCse: acc.beforeCse + c.beforeCse, afterCse: acc.afterCse + c.afterCse }), {
    beforeCse: 0,
    afterCse: 0,
  });
}
