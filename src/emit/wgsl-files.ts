/**
 * The WGSL files of a compiled model (`generated/<model>/wgsl/`): every kernel of every route, the
 * autoencoder step's kernels when the model has an encoder, and layout.json.
 */
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import type { WgslKernel } from "./wgsl.js";
import { wgslKernelSet } from "./wgsl-adjoint.js";
import { wgslAutoencoderSet } from "./wgsl-autoencoder.js";

/**
 * The WGSL files of a compiled model: `wgsl/<kernel>.wgsl` for every kernel of every route, and
 * `wgsl/layout.json` (bindings, uniform structs, output fields, tape layout, FLOPs per point) for
 * a runtime that loads them without the compiler (e.g. in a browser). Deterministic.
 */
export function emitWgsl(model: Model, routes: readonly Route[]): Map<string, string> {
  const files = new Map<string, string>();
  const layout: Record<string, unknown> = { model: model.name, sourceHash: model.sourceHash, routes: {} as Record<string, unknown>, kernels: {} as Record<string, unknown> };
  const kernels = layout["kernels"] as Record<string, unknown>;
  const add = (k: WgslKernel): void => {
    files.set(`wgsl/${k.name}.wgsl`, k.code);
    kernels[k.name] = {
      description: k.description,
      workgroupSize: k.workgroupSize,
      bindings: k.bindings,
      uniform: { size: k.uniform.byteLength, fields: k.uniform.fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset })) },
    };
  };
  for (const route of routes) {
    const set = wgslKernelSet(model, route);
    add(set.curvature);
    add(set.reduceSum);
    if (set.training) for (const k of [set.training.forward, set.training.backward, set.training.gradReduce, set.training.gradReducePoints, set.training.gradFinalize, set.training.adam]) add(k);
    (layout["routes"] as Record<string, unknown>)[route] = {
      columns: set.columns,
      fields: set.fields,
      perPoint: set.perPoint,
      flopsPerPoint: set.flops,
      tape: set.training ? { tape: set.training.plan.tape, layers: set.training.plan.layers } : null,
    };
  }
  if (model.encoder && model.decoder.type === "mlp") {
    const ae = wgslAutoencoderSet(model);
    for (const k of [ae.encoderForward, ae.reconStep, ae.encoderBackward, ae.gradReduceDirect, ae.trainParts]) add(k);
    const plan = (p: typeof ae.encoder) => ({ tape: p.tape, layers: p.layers });
    layout["autoencoder"] = { encoder: plan(ae.encoder), decoder: plan(ae.decoder) };
  }
  files.set("wgsl/layout.json", JSON.stringify(layout, null, 2) + "\n");
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
