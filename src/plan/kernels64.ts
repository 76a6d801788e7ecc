/**
 * A model's kernels evaluated in float64 by interpreting their tensor plans (interpret.ts): the same
 * IR blocks and lowering as the ONNX target, with no code generation, TypeScript toolchain or
 * transpiling at run time. `ricci-gen curvature` uses it, so a first call on a new model costs only
 * the derivation. Fields have the emitted kernels' layout: per point, row-major in the field's shape.
 */
import { modelKernels, type Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { interpretPlan } from "./interpret.js";
import { jetField, lowerAssembly, lowerDecoderJets } from "./lower-decoder.js";
import { sym, TensorPlan } from "./tensor.js";

export type Kernel64 = (params: Float64Array, points: Float64Array, n: number) => Record<string, Float64Array>;

export function planKernels64(model: Model, routes: readonly Route[], names: readonly string[]): Record<string, Kernel64> {
  const out: Record<string, Kernel64> = {};
  for (const k of modelKernels(model, routes).filter((x) => names.includes(x.name))) {
    const p = new TensorPlan();
    const params = k.program.paramCount > 0 ? p.input("params", [k.program.paramCount]) : null;
    const z = p.input("z", [sym("n"), model.latentDim]);
    const jet = lowerDecoderJets(p, k.program, params, z);
    const fields =
      k.output.kind === "jets" ? { [k.output.field.name]: jetField(p, k.program, jet, k.output.order) } : lowerAssembly(p, k, jet, null);
    const entries = Object.entries(fields);
    out[k.name] = (paramValues, points, n) => {
      const values = interpretPlan(
        p,
        entries.map(([, node]) => node),
        { params: paramValues, z: points },
        { n },
      );
      return Object.fromEntries(entries.map(([name], i) => [name, values[i]!.data]));
    };
  }
  return out;
}
