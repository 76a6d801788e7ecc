/**
 * `compile`: a validated model → kernels → emitted files and their manifest. Pure: writing the
 * files is the caller's job (see util/atomic.ts), so a failure here never touches old output.
 */
import { createHash } from "node:crypto";
import { kernelOpCounts, modelKernels, type Kernel, type Route } from "../ir/kernels.js";
import type { Model } from "../model/types.js";
import { emitTfjs } from "./tfjs.js";
import { emitTypeScript } from "./typescript.js";
import { emitOnnxFiles } from "./onnx-files.js";
import { emitWgsl } from "./wgsl-files.js";

export const GENERATOR = "ricci-gen 0.1.0";

export interface KernelSummary {
  name: string;
  description: string;
  jetOrder: number;
  fields: { name: string; shape: number[] }[];
  ops: { beforeCse: number; afterCse: number };
}

export interface Manifest {
  generator: string;
  model: string;
  sourceHash: string;
  latentDim: number;
  outputDim: number;
  paramCount: number;
  routes: Route[];
  kernels: KernelSummary[];
  files: Record<string, string>;
}

export interface CompileResult {
  kernels: Kernel[];
  manifest: Manifest;
  /** Text files: name → content, including manifest.json. */
  files: Map<string, string>;
  /** Binary files (the ONNX graphs): name → bytes. */
  binaryFiles: Map<string, Uint8Array>;
}

const sha256 = (content: string | Uint8Array): string => createHash("sha256").update(content).digest("hex");

export function compileModel(model: Model, routes: Route[] = ["a", "b"]): CompileResult {
  const kernels = modelKernels(model, routes);
  const files = new Map<string, string>();
  const binaryFiles = new Map<string, Uint8Array>();
  const info = { name: model.name, sourceHash: model.sourceHash, generator: GENERATOR };
  files.set("kernels.ts", emitTypeScript(kernels, info));
  files.set("kernels.tfjs.ts", emitTfjs(kernels, info));
  for (const [name, text] of emitWgsl(model, routes)) files.set(name, text);
  for (const [name, content] of emitOnnxFiles(model, routes)) {
    if (typeof content === "string") files.set(name, content);
    else binaryFiles.set(name, content);
  }
  const manifest: Manifest = {
    generator: GENERATOR,
    model: model.name,
    sourceHash: model.sourceHash,
    latentDim: model.latentDim,
    outputDim: model.outputDim,
    paramCount: kernels[0]!.program.paramCount,
    routes,
    kernels: kernels.map((k) => ({
      name: k.name,
      description: k.description,
      jetOrder: k.program.order,
      fields: (k.output.kind === "jets" ? [k.output.field] : k.output.fields).map((f) => ({ name: f.name, shape: f.shape })),
      ops: kernelOpCounts(k),
    })),
    files: Object.fromEntries(
      [...files, ...binaryFiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, content]) => [name, sha256(content)]),
    ),
  };
  files.set("manifest.json", JSON.stringify(manifest, null, 2) + "\n");
  return { kernels, manifest, files, binaryFiles };
}
