/**
 * The float64 TypeScript kernels of a model, for `curvature` and `check`: only the kernels asked for
 * are derived and emitted (no tfjs or WGSL text), then loaded into this process. The same emitter as
 * `compile`, so the numbers are those of the committed kernels.ts.
 */
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import type { KernelModule } from "../runtime/kernel-module.js";

export async function floatKernels(model: Model, routes: readonly Route[], names: readonly string[]): Promise<KernelModule> {
  const [{ modelKernels }, { emitTypeScript }, { GENERATOR }, { loadKernelModule }] = await Promise.all([
    import("../ir/kernels.js"),
    import("../emit/typescript.js"),
    import("../emit/compile.js"),
    import("../runtime/kernel-module.js"),
  ]);
  const wanted = new Set(names);
  const kernels = modelKernels(model, routes).filter((k) => wanted.has(k.name));
  return loadKernelModule(emitTypeScript(kernels, { name: model.name, sourceHash: model.sourceHash, generator: GENERATOR }));
}
