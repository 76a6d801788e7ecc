/** `ricci-gen compile`: derive and emit the kernels of model.json files. */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { Route } from "../ir/kernels.js";
import { initialParams } from "../model/params.js";
import type { Model } from "../model/types.js";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";

export function parseRoutes(route: string): Route[] {
  if (route === "a" || route === "b") return [route];
  if (route === "both") return ["a", "b"];
  throw new UserError("--route", `must be a, b or both, got '${route}'`);
}

/** The model's decoder parameters (empty for analytic decoders). */
export function decoderParams(model: Model): Float64Array {
  return model.decoder.type === "mlp" ? initialParams(model.decoder, model.decoderWeights) : new Float64Array(0);
}

async function compileOne(file: string, routes: Route[], outDir: string | undefined): Promise<void> {
  // Heavy modules (mathjs, ts-morph) load only when a command needs them, to keep startup fast.
  const [{ loadModel }, { compileModel }, { writeFolderAtomic }] = await Promise.all([
    import("../model/load.js"),
    import("../emit/compile.js"),
    import("../util/atomic.js"),
  ]);
  const model = loadModel(file);
  const started = performance.now();
  const result = compileModel(model, routes);
  const out = resolve(outDir ?? join("generated", model.name));
  writeFolderAtomic(out, new Map<string, string | Uint8Array>([...result.files, ...result.binaryFiles]));
  const ms = performance.now() - started;
  const rows = result.manifest.kernels.map(
    (k) => `  ${k.name.padEnd(18)} order ${k.jetOrder}  ops ${String(k.ops.afterCse).padStart(6)} after CSE (${k.ops.beforeCse} as trees)`,
  );
  process.stdout.write(
    [
      `compiled ${model.name}: d = ${model.latentDim}, D = ${model.outputDim}, ${result.manifest.paramCount} parameters, routes ${routes.join("+")} (${ms.toFixed(0)} ms)`,
      ...rows,
      `wrote ${[...result.files.keys(), ...result.binaryFiles.keys()].join(", ")} to ${out}`,
    ].join("\n") + "\n",
  );
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .description("derive closed-form kernels for Ψ, its derivatives, g, Γ, Riemann, Ricci and R; emit them to generated/<model>/")
    .argument("<models...>", "model.json files")
    .option("-o, --out <dir>", "output folder (default: generated/<model name>; only with one model)")
    .option("--route <route>", "curvature route: a (intrinsic, ∇³Ψ), b (Gauss equation, ∇²Ψ) or both", "both")
    .action(
      guarded(async (files: string[], opts: { out?: string; route: string }) => {
        if (opts.out !== undefined && files.length > 1)
          throw new UserError("--out", "give one model with -o, or omit -o to write generated/<model>/ for each");
        const routes = parseRoutes(opts.route);
        for (const file of files) await compileOne(file, routes, opts.out);
      }),
    );
}
