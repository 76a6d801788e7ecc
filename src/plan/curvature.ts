/**
 * The curvature plan of a decoder: g, det g and R by route A or B at a batch of latent points, from
 * the flat decoder parameters. `compile` prints it as onnx/curvature-{a,b}.onnx.
 */
import { jetColumns } from "../ir/jets.js";
import { curvatureKernelName, modelKernels, type Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { lowerAssembly, lowerDecoderJets } from "./lower-decoder.js";
import { sym, TensorPlan, type TensorId } from "./tensor.js";

export interface LoweredGraph {
  plan: TensorPlan;
  outputs: { name: string; node: TensorId }[];
  /** Input name → shape with the symbolic batch `n`, for documentation. */
  description: string;
}

export function curvaturePlan(model: Model, route: Route): LoweredGraph {
  const kernels = modelKernels(model, [route]);
  const metricKernel = kernels.find((k) => k.name === "metric")!;
  const curvKernel = kernels.find((k) => k.name === curvatureKernelName(route))!;
  const p = new TensorPlan();
  const n = sym("n");
  const paramCount = curvKernel.program.paramCount;
  const params = paramCount > 0 ? p.input("params", [paramCount]) : null;
  const z = p.input("z", [n, model.latentDim]);
  const jet = lowerDecoderJets(p, curvKernel.program, params, z);
  const metric = lowerAssembly(p, metricKernel, jet, null);
  const curv = lowerAssembly(p, curvKernel, jet, null);
  return {
    plan: p,
    outputs: [
      { name: "R", node: curv["R"]! },
      { name: "g", node: metric["g"]! },
      { name: "detg", node: metric["detg"]! },
      { name: "sqrtdetg", node: metric["sqrtdetg"]! },
    ],
    description:
      `Scalar curvature R (route ${route.toUpperCase()}), metric g, det g and √det g of the decoder of "${model.name}" at the points z [n, ${model.latentDim}]` +
      (paramCount > 0 ? `, from the flat decoder parameters params [${paramCount}] (per layer W row-major, then b).` : "."),
  };
}

/**
 * What evaluation needs at latent points, as the trainer defines it (losses.ts): R with
 * metricShift = (1 − mask) + ε on g_ii (ε = inverseMetricEpsilon), √det g (1 where masked), the
 * mask det g > detEpsilon, and g itself.
 */
export function geometryPlan(model: Model, route: Route): LoweredGraph {
  const kernels = modelKernels(model, [route]);
  const curvKernel = kernels.find((k) => k.name === curvatureKernelName(route))!;
  const p = new TensorPlan();
  const n = sym("n");
  const paramCount = curvKernel.program.paramCount;
  const params = paramCount > 0 ? p.input("params", [paramCount]) : null;
  const z = p.input("z", [n, model.latentDim]);
  const detEpsilon = p.input("detEpsilon", []);
  const inverseMetricEpsilon = p.input("inverseMetricEpsilon", []);
  const jet = lowerDecoderJets(p, curvKernel.program, params, z);
  const metric = lowerAssembly(
    p,
    kernels.find((k) => k.name === "metric")!,
    jet,
    null,
  );
  const det = p.reshape(metric["detg"]!, [n, 1]);
  const mask = p.step(p.sub(det, detEpsilon));
  const shift = p.add(p.sub(p.num(1), mask), inverseMetricEpsilon);
  const R = lowerAssembly(p, curvKernel, jet, shift)["R"]!;
  const sqrtdetg = p.unary("sqrt", p.add(p.mul(det, mask), p.sub(p.num(1), mask)));
  return {
    plan: p,
    outputs: [
      { name: "R", node: R },
      { name: "sqrtdetg", node: p.reshape(sqrtdetg, [n]) },
      { name: "mask", node: p.reshape(mask, [n]) },
      { name: "g", node: metric["g"]! },
    ],
    description: `Evaluation geometry of "${model.name}" (route ${route.toUpperCase()}): R with (g + εI) at masked points, √det g, the mask det g > detEpsilon, and g.`,
  };
}

/**
 * The Gram matrix of the decoder's jet columns up to order 2 at points z: G [n, C, C] with
 * G_ab = ⟨∂^a Ψ, ∂^b Ψ⟩ and C = 1 + d + d(d+1)/2 columns in `jetColumns(d, 2)` order.
 * Evaluation's geodesics read g_ij = G_{i,j} and ∂_k g_ij = G_{ki,j} + G_{i,kj} from it.
 */
export function jetGramPlan(model: Model): LoweredGraph {
  const program = modelKernels(model, ["b"]).find((k) => k.name === curvatureKernelName("b"))!.program;
  if (program.columns.length !== jetColumns(model.latentDim, 2).length)
    throw new Error("jetGramPlan: route B's program is not of jet order 2");
  const p = new TensorPlan();
  const n = sym("n");
  const params = program.paramCount > 0 ? p.input("params", [program.paramCount]) : null;
  const z = p.input("z", [n, model.latentDim]);
  const jet = lowerDecoderJets(p, program, params, z);
  const C = jet.columns;
  const perPoint = p.transpose(p.reshape(jet.stacked, [C, n, jet.width]), [1, 0, 2]); // [n, C, D]
  const gram = p.matmul(perPoint, p.transpose(perPoint, [0, 2, 1]));
  return {
    plan: p,
    outputs: [{ name: "gram", node: gram }],
    description: `Gram matrix of the jet columns (order ≤ 2) of the decoder of "${model.name}" at the points z [n, ${model.latentDim}].`,
  };
}
