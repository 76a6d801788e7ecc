/**
 * The WGSL files of a compiled model (`generated/<model>/wgsl/`): every kernel of every route, the
 * autoencoder step's kernels when the model has an encoder, and layout.json.
 */
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import type { WgslKernel } from "./wgsl.js";
import { wgslKernelSet } from "./wgsl-adjoint.js";
import { encoderPlan, decoderValuePlan, gradReduceDirectKernel, trainPartsKernel } from "./wgsl-autoencoder.js";
import { curvaturePlan, describeTiledPlan, tileConfig, tiledPlan, type TileConfig } from "./wgsl-tile-plan.js";
import { assembleKernel, encoderOutKernel, encoderSeedKernel, reconSeedKernel, tiledKernels, type TiledKernels } from "./wgsl-tiled.js";

const tiledList = (k: TiledKernels): WgslKernel[] => [
  k.input,
  ...k.forward,
  ...k.adjoint.filter((x): x is WgslKernel => x !== null),
  ...(k.inputAdjoint ? [k.inputAdjoint] : []),
];

/**
 * The WGSL files of a compiled model: `wgsl/<kernel>.wgsl` for every kernel of every route, and
 * `wgsl/layout.json` (bindings, uniform structs, output fields, tape layout, tile sizes, FLOPs per
 * point) for a runtime that loads them without the compiler (e.g. in a browser). Deterministic.
 * An MLP decoder gets the tiled kernels (wgsl-tiled.ts), planned for `tiles` (default: the limits
 * every WebGPU adapter guarantees; the runtime re-plans for its adapter); an analytic decoder gets
 * the per-point curvature kernels.
 */
export function emitWgsl(model: Model, routes: readonly Route[], tiles: TileConfig = tileConfig()): Map<string, string> {
  const files = new Map<string, string>();
  const layout: Record<string, unknown> = {
    model: model.name,
    sourceHash: model.sourceHash,
    tiles: { lanes: tiles.lanes, accumulators: tiles.accumulators, stagedFloats: tiles.stagedFloats, limits: tiles.limits },
    routes: {} as Record<string, unknown>,
    kernels: {} as Record<string, unknown>,
  };
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
    add(set.reduceSum);
    const entry: Record<string, unknown> = { columns: set.columns, fields: set.fields, perPoint: set.perPoint };
    if (set.training) {
      const plan = curvaturePlan(model, route, tiles);
      for (const k of [...tiledList(tiledKernels(plan, true)), assembleKernel(plan, route, false), assembleKernel(plan, route, true)])
        add(k);
      for (const k of [set.training.gradReduce, set.training.gradReducePoints, set.training.gradFinalize, set.training.adam]) add(k);
      entry["plan"] = describeTiledPlan(plan);
    } else {
      add(set.curvature);
      entry["flopsPerPoint"] = set.flops;
    }
    (layout["routes"] as Record<string, unknown>)[route] = entry;
  }
  if (model.encoder && model.decoder.type === "mlp") {
    const enc = tiledPlan("value", "encoder", encoderPlan(model).program, tiles);
    const dec = tiledPlan("value", "recon", decoderValuePlan(model).program, tiles);
    const wrap = model.decoder.torusEmbedding;
    const list = [
      ...tiledList(tiledKernels(enc, false)),
      ...tiledList(tiledKernels(dec, true)),
      encoderOutKernel(enc, wrap),
      encoderSeedKernel(enc),
      reconSeedKernel(dec),
    ];
    for (const k of [...list, gradReduceDirectKernel(), trainPartsKernel(model.latentDim)]) add(k);
    layout["autoencoder"] = { encoder: describeTiledPlan(enc), decoder: describeTiledPlan(dec) };
  }
  files.set("wgsl/layout.json", JSON.stringify(layout, null, 2) + "\n");
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
