/**
 * The `onnx/` folder `compile` writes: curvature-{a,b}.onnx (g, det g, √det g and R at a batch of
 * points from the flat decoder parameters) and, for a trainable model (MLP decoder and encoder),
 * step.onnx: one ∫R² training step with every extra term present (their weights are inputs, 0 turns
 * one off) and the measure points as an input; graphs.json lists every graph's inputs and outputs.
 * The trainer compiles the step of its own config into runs/<name>/step.onnx the same way.
 */
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { curvaturePlan } from "../plan/curvature.js";
import { stepPlan } from "../plan/step.js";
import { isSym, liveNodes, type Shape, type TensorPlan } from "../plan/tensor.js";
import { emitOnnx, ONNX_OPSET } from "./onnx.js";

const shapeText = (s: Shape): (number | string)[] => s.map((d) => (isSym(d) ? (d.k === 1 ? d.sym : `${d.k}${d.sym}`) : d));

function signature(plan: TensorPlan, outputs: { name: string; node: number }[], bytes: Uint8Array, description: string) {
  // The inputs the printed graph keeps (emitOnnx drops dead ones).
  const live = new Set(
    liveNodes(
      plan,
      outputs.map((o) => o.node),
    ),
  );
  const inputs = plan.inputs.flatMap((id) => {
    const op = plan.node(id).op;
    return live.has(id) && op.kind === "input" ? [{ name: op.name, shape: shapeText(plan.shape(id)), dtype: op.dtype }] : [];
  });
  return {
    description,
    bytes: bytes.length,
    inputs,
    outputs: outputs.map((o) => ({ name: o.name, shape: shapeText(plan.shape(o.node)) })),
  };
}

export function emitOnnxFiles(model: Model, routes: readonly Route[]): Map<string, string | Uint8Array> {
  const files = new Map<string, string | Uint8Array>();
  const graphs: Record<string, unknown> = {};
  for (const route of routes) {
    const g = curvaturePlan(model, route);
    const bytes = emitOnnx(g.plan, { name: `curvature_${route}`, docString: g.description, outputs: g.outputs });
    files.set(`onnx/curvature-${route}.onnx`, bytes);
    graphs[`curvature-${route}.onnx`] = signature(g.plan, g.outputs, bytes, g.description);
  }
  if (model.decoder.type === "mlp" && model.encoder && !model.encoder.torusEmbedding) {
    const route = routes.includes("b") ? "b" : "a";
    const g = stepPlan({
      model,
      torus: model.decoder.torusEmbedding,
      curvature: true,
      route,
      functional: "R2",
      measure: "points",
      potential: null,
      learnTau: false,
      uniformityMoments: 4,
      contractive: "max",
      decoderContractive: "max",
      isometry: true,
      anchor: true,
      volume: true,
      conformality: true,
    });
    const bytes = emitOnnx(g.plan, { name: "training_step", docString: g.description, outputs: g.outputs });
    files.set("onnx/step.onnx", bytes);
    graphs["step.onnx"] = { ...signature(g.plan, g.outputs, bytes, g.description), route, parts: g.partNames };
  }
  files.set("onnx/graphs.json", JSON.stringify({ opset: ONNX_OPSET, dtype: "float32", graphs }, null, 2) + "\n");
  return files;
}
