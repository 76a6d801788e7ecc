/**
 * The float64 TypeScript kernels of a model, for `curvature` and `check`: only the kernels asked for
 * are derived and emitted (no tfjs or WGSL text) by the same emitter as `compile`, so the numbers are
 * those of the committed kernels.ts.
 *
 * Deriving needs mathjs, ts-morph and typescript, seconds of module loading. The transpiled module is
 * therefore cached, keyed by the generator, the kernel names and the model's sourceHash (the kernels
 * depend on the architecture only; parameters are passed at call time), in
 * $RICCI_GEN_CACHE or $XDG_CACHE_HOME/ricci-gen/kernels (default ~/.cache/ricci-gen/kernels).
 * RICCI_GEN_CACHE=off disables it; an unwritable cache folder is skipped silently.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import type { KernelFn, KernelModule } from "../runtime/kernel-module.js";
import { VERSION } from "./version.js";

/** The cache folder, or null when caching is off. */
export function kernelCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const set = env["RICCI_GEN_CACHE"];
  if (set === "off" || set === "0") return null;
  if (set) return set;
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "ricci-gen", "kernels");
}

async function importKernelModule(file: string): Promise<KernelModule> {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const kernelFields = mod["kernelFields"] as KernelModule["kernelFields"];
  const kernels: Record<string, KernelFn> = {};
  for (const name of Object.keys(kernelFields)) kernels[name] = mod[name] as KernelFn;
  return { model: mod["model"] as KernelModule["model"], kernelFields, kernels };
}

async function emitKernels(model: Model, routes: readonly Route[], names: readonly string[]): Promise<string> {
  const [{ modelKernels }, { emitTypeScript }, { GENERATOR }] = await Promise.all([
    import("../ir/kernels.js"),
    import("../emit/typescript.js"),
    import("../emit/compile.js"),
  ]);
  const wanted = new Set(names);
  const kernels = modelKernels(model, routes).filter((k) => wanted.has(k.name));
  return emitTypeScript(kernels, { name: model.name, sourceHash: model.sourceHash, generator: GENERATOR });
}

export async function floatKernels(model: Model, routes: readonly Route[], names: readonly string[]): Promise<KernelModule> {
  const dir = kernelCacheDir();
  const key = createHash("sha256")
    // The architecture itself, not only the file's hash: models built in code may share a sourceHash.
    .update(
      JSON.stringify([VERSION, model.sourceHash, model.latentDim, model.outputDim, model.decoder, [...routes].sort(), [...names].sort()]),
    )
    .digest("hex")
    .slice(0, 32);
  const file = dir === null ? null : join(dir, `${key}.mjs`);
  if (file !== null && existsSync(file) && readFileSync(file, "utf8").includes(model.sourceHash)) return importKernelModule(file);
  const source = await emitKernels(model, routes, names);
  if (file !== null) {
    const [{ default: ts }, { writeFileAtomic }] = await Promise.all([import("typescript"), import("../util/atomic.js")]);
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    try {
      writeFileAtomic(file, js);
      return await importKernelModule(file);
    } catch {
      // A read-only or full cache folder: run without the cache.
    }
  }
  const { loadKernelModule } = await import("../runtime/kernel-module.js");
  return loadKernelModule(source);
}
