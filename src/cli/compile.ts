/** `ricci-gen compile` and `ricci-gen curvature`: emit kernels, and evaluate them at points. */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { Route } from "../ir/kernels.js";
import { initialParams } from "../model/params.js";
import type { Model } from "../model/types.js";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";
import { parsePoints } from "./points.js";

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
  writeFolderAtomic(out, result.files);
  const ms = performance.now() - started;
  const rows = result.manifest.kernels.map(
    (k) => `  ${k.name.padEnd(18)} order ${k.jetOrder}  ops ${String(k.ops.afterCse).padStart(6)} after CSE (${k.ops.beforeCse} as trees)`,
  );
  process.stdout.write(
    [
      `compiled ${model.name}: d = ${model.latentDim}, D = ${model.outputDim}, ${result.manifest.paramCount} parameters, routes ${routes.join("+")} (${ms.toFixed(0)} ms)`,
      ...rows,
      `wrote ${[...result.files.keys()].join(", ")} to ${out}`,
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

  program
    .command("curvature")
    .description("evaluate the compiled kernels at latent points: g, det g and R (with --json also Γ and Ricci)")
    .argument("<model>", "model.json")
    .requiredOption("--points <points>", `points as "x,y;x,y" or a JSON file [[x, y], …]`)
    .option("--route <route>", "a or b", "b")
    .option("--json", "machine-readable output with Γ and Ricci")
    .action(
      guarded(async (file: string, opts: { points: string; route: string; json?: boolean }) => {
        const [{ loadModel }, { compileModel }, { loadKernelModule }] = await Promise.all([
          import("../model/load.js"),
          import("../emit/compile.js"),
          import("../runtime/kernel-module.js"),
        ]);
        const model = loadModel(file);
        const [route] = parseRoutes(opts.route);
        if (opts.route === "both") throw new UserError("--route", "choose a or b for curvature");
        const { points, n } = parsePoints(opts.points, model.latentDim);
        const mod = await loadKernelModule(compileModel(model, ["a", "b"]).files.get("kernels.ts")!);
        const params = decoderParams(model);
        const call = (name: string) => mod.kernels[name]!(params, points, n);
        const curv = call(route === "a" ? "scalarCurvatureA" : "scalarCurvatureB");
        const g = call("metric")["g"]!;
        const d = model.latentDim;
        const rows = Array.from({ length: n }, (_, i) => ({
          z: Array.from(points.subarray(i * d, (i + 1) * d)),
          g: Array.from(g.subarray(i * d * d, (i + 1) * d * d)),
          detg: curv["detg"]![i]!,
          R: curv["R"]![i]!,
        }));
        if (opts.json) {
          const gamma = call("christoffel")["gamma"]!;
          const ricci = call("ricci")["ricci"]!;
          const full = rows.map((r, i) => ({
            ...r,
            christoffel: Array.from(gamma.subarray(i * d ** 3, (i + 1) * d ** 3)),
            ricci: Array.from(ricci.subarray(i * d * d, (i + 1) * d * d)),
          }));
          process.stdout.write(
            JSON.stringify(
              { model: model.name, route, layout: { g: "[i][j]", christoffel: "Γ^i_kl as [i][k][l]", ricci: "[a][b]" }, points: full },
              null,
              2,
            ) + "\n",
          );
          return;
        }
        const fmt = (x: number) => x.toPrecision(6).padStart(13);
        process.stdout.write(`model ${model.name}, route ${route}\n`);
        for (const r of rows)
          process.stdout.write(
            `z = (${r.z.join(", ")})  g = [${r.g.map((x) => x.toPrecision(6)).join(", ")}]  det g = ${fmt(r.detg)}  R = ${fmt(r.R)}\n`,
          );
      }),
    );
}
