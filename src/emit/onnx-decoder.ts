/**
 * A trained decoder Ψ as a standalone ONNX graph (for `ricci-gen export --format onnx`): input
 * z [n, d], output x [n, D], the weights embedded as initializers. Optionally also its Jacobian
 * J [n, D, d] and the metric g [n, d, d] from the same jets.
 */
import { modelKernels } from "../ir/kernels.js";
import { decoderProgram } from "../ir/program.js";
import type { Model } from "../model/types.js";
import { jetField, lowerAssembly, lowerDecoderJets, unstack } from "../plan/lower-decoder.js";
import { sym, TensorPlan } from "../plan/tensor.js";
import { emitOnnx } from "./onnx.js";

export function decoderOnnx(model: Model, params: Float32Array | Float64Array, opts: { withMetric?: boolean } = {}): Uint8Array {
  const p = new TensorPlan();
  const z = p.input("z", [sym("n"), model.latentDim]);
  const order = opts.withMetric ? 1 : 0;
  const program = decoderProgram(model, order);
  if (params.length !== program.paramCount) throw new Error(`the decoder has ${program.paramCount} parameters, got ${params.length}`);
  const weights = program.paramCount > 0 ? p.constTensor(Float32Array.from(params), [program.paramCount]) : null;
  const jet = lowerDecoderJets(p, program, weights, z);
  const outputs = [{ name: "x", node: unstack(p, jet)[0]! }];
  if (opts.withMetric) {
    outputs.push({ name: "J", node: jetField(p, program, jet, 1) });
    const metric = modelKernels(model, ["b"]).find((k) => k.name === "metric")!;
    outputs.push({ name: "g", node: lowerAssembly(p, metric, jet, null)["g"]! });
  }
  return emitOnnx(p, {
    name: "decoder",
    docString: `Decoder Ψ of "${model.name}": z [n, ${model.latentDim}] → x [n, ${model.outputDim}]${opts.withMetric ? ", J = ∂Ψ/∂z [n, D, d] and g = JᵀJ [n, d, d]" : ""}.`,
    outputs,
  });
}
