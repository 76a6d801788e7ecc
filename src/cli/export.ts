/**
 * `ricci-gen export runs/<name> --format npy|safetensors|onnx [-o DIR]`: the trained encoder and
 * decoder weights, every latent code of the training and test split, their labels and the data
 * standardisation, as files NumPy, PyTorch or safetensors read, or the decoder as an ONNX graph
 * (src/runtime/export). The output
 * folder is replaced as a whole, and only when it is new, empty or an earlier export.
 */
import { isAbsolute, relative, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";

interface ExportCliOptions {
  format: string;
  out?: string;
  backend?: string;
}

const FORMATS = ["npy", "safetensors", "onnx"] as const;

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("export a trained run: weights and all latent codes as .npy or .safetensors, or the decoder (with J and g) as ONNX")
    .argument("<run>", "run folder written by `ricci-gen train` (runs/<name>)")
    .requiredOption("--format <format>", `one of ${FORMATS.join(", ")}`)
    .option("-o, --out <dir>", "output folder (default exports/<name>-<format>)")
    .option("--backend <name>", "tfjs backend for encoding: cpu or wasm (default: cpu when the run trained on cpu, else wasm)")
    .action(
      guarded(async (runDir: string, opts: ExportCliOptions) => {
        const format = opts.format as (typeof FORMATS)[number];
        if (!FORMATS.includes(format)) throw new UserError("--format", `must be one of ${FORMATS.join(", ")}, got '${opts.format}'`);
        if (opts.backend !== undefined && opts.backend !== "cpu" && opts.backend !== "wasm")
          throw new UserError("--backend", `encoding runs on the tfjs cpu or wasm backend, not '${opts.backend}'`);
        const { checkRunFolder } = await import("../runtime/run-eval/folder.js");
        checkRunFolder(runDir);
        const { exportRun, defaultExportDir } = await import("../runtime/export/export-run.js");
        const out = opts.out ?? defaultExportDir(runDir, format);
        const rel = relative(resolve(runDir), resolve(out));
        if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)))
          throw new UserError(out, `is inside the run folder ${runDir}: export elsewhere (-o)`);
        const r = await exportRun(runDir, {
          format,
          outDir: out,
          ...(opts.backend === "cpu" || opts.backend === "wasm" ? { backend: opts.backend } : {}),
          log: (line) => process.stderr.write(line + "\n"),
        });
        process.stdout.write(
          `exported ${runDir} (${r.trainCodes} training and ${r.testCodes} test codes) → ${r.dir}: ${r.files.join(", ")}\n`,
        );
      }),
    );
}
