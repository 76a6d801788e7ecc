/**
 * Loads an emitted TypeScript kernel module into this process: transpiled (types stripped) and
 * imported from a data: URL, so `curvature`, `check` and tests run exactly the emitted code.
 */
import ts from "typescript";

export type KernelFn = (params: Float64Array, points: Float64Array, n: number) => Record<string, Float64Array>;

export interface KernelModule {
  model: { name: string; latentDim: number; outputDim: number; paramCount: number; sourceHash: string };
  kernelFields: Record<string, readonly { name: string; shape: readonly number[] }[]>;
  kernels: Record<string, KernelFn>;
}

export async function loadKernelModule(source: string): Promise<KernelModule> {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as Record<string, unknown>;
  const kernelFields = mod["kernelFields"] as KernelModule["kernelFields"];
  const kernels: Record<string, KernelFn> = {};
  for (const name of Object.keys(kernelFields)) kernels[name] = mod[name] as KernelFn;
  return { model: mod["model"] as KernelModule["model"], kernelFields, kernels };
}
