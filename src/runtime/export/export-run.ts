/**
 * `ricci-gen export`: a trained run as files other tools read. The weights of the encoder and the
 * decoder Ψ (per layer, PyTorch's nn.Linear layout: weight out × in, then bias), every latent code
 * of the training and test split (no cap), their labels, the data standardisation, and
 * `export.json`, which says how the pieces fit (activations, torus embedding, how to map the
 * decoder's output back to data units).
 *
 * Formats: "npy" (one .npy per array), "safetensors" (weights.safetensors + latent.safetensors),
 * "onnx" (decoder.onnx: Ψ with its trained weights as one ONNX graph, z [n, d] → x [n, D], plus
 * J [n, D, d] and g [n, d, d]; the codes, labels and standardisation beside it as .npy).
 * The output folder is written as a whole (util/atomic.ts) and only ever replaces an earlier
 * export, never another folder.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { paramLayout } from "../../model/params.js";
import type { Activation, Mlp } from "../../model/types.js";
import { writeFolderAtomic } from "../../util/atomic.js";
import { UserError } from "../../util/errors.js";
import { encodeNpy } from "../data/npy.js";
import { checkRunFolder, openRun, type EvalBackend } from "../run-eval/index.js";
import { decodeF32 } from "../train/checkpoint.js";
import type { Session } from "../train/session.js";
import { encodeSafetensors, type SafeArray } from "./safetensors.js";

export const EXPORT_FORMATS = ["npy", "safetensors", "onnx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_MANIFEST = "export.json";

export interface ExportOptions {
  format: ExportFormat;
  /** Output folder (created; replaced when it holds an earlier export). */
  outDir: string;
  backend?: EvalBackend;
  log?: (line: string) => void;
}

export interface ExportResult {
  dir: string;
  files: string[];
  trainCodes: number;
  testCodes: number;
}

interface NamedArray {
  data: SafeArray;
  shape: number[];
  about: string;
}

function activationName(a: Activation): string {
  return a.kind === "named" ? a.name : `formula: ${a.formula}`;
}

/** Per-layer weight (units × fanIn) and bias of a flat MLP parameter vector. */
function layerArrays(prefix: string, mlp: Mlp, flat: Float32Array, out: Map<string, NamedArray>): void {
  const layout = paramLayout(mlp);
  if (flat.length !== layout.size)
    throw new UserError("checkpoint.json", `${prefix} has ${flat.length} parameters, the model needs ${layout.size}`);
  layout.layers.forEach((l, i) => {
    const act = activationName(mlp.layers[i]!.activation);
    out.set(`${prefix}.layers.${i}.weight`, {
      data: flat.slice(l.wOffset, l.wOffset + l.units * l.fanIn),
      shape: [l.units, l.fanIn],
      about: `layer ${i} weight (out × in), then activation ${act}`,
    });
    out.set(`${prefix}.layers.${i}.bias`, { data: flat.slice(l.bOffset, l.bOffset + l.units), shape: [l.units], about: `layer ${i} bias` });
  });
}

/** Latent codes of all rows of x (n × D float32), in chunks, wrapped on a torus latent. */
function encodeAll(session: Session, x: Float32Array, n: number): Float32Array {
  const D = session.model.outputDim;
  const d = session.latentDim;
  const z = new Float32Array(n * d);
  const chunk = 1024;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const codes = readTidy(() => session.encode(tf.tensor2d(x.subarray(s * D, (s + m) * D), [m, D])).z);
    z.set(codes, s * d);
  }
  return z;
}

/** Refuses an output folder that exists, is not empty and is not an earlier export. */
function checkOutDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(dir, "exists and is not a folder: give a new or empty folder with -o");
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes(EXPORT_MANIFEST))
    throw new UserError(dir, `is not empty and holds no ${EXPORT_MANIFEST} (not an earlier export): give a new or empty folder with -o`);
}

const isWeight = (name: string): boolean => name.startsWith("encoder.") || name.startsWith("decoder.");

function fileContents(format: ExportFormat, arrays: Map<string, NamedArray>, meta: Record<string, string>): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  if (format !== "safetensors") {
    // ONNX holds the decoder's weights in its graph; the data arrays go beside it.
    for (const [name, a] of arrays) if (format === "npy" || !isWeight(name)) files.set(`${name}.npy`, encodeNpy(a.data, a.shape));
    return files;
  }
  const weights = new Map([...arrays].filter(([k]) => isWeight(k)));
  const rest = new Map([...arrays].filter(([k]) => !weights.has(k)));
  files.set("weights.safetensors", encodeSafetensors(weights, meta));
  files.set("latent.safetensors", encodeSafetensors(rest, meta));
  return files;
}

/** Writes the run's weights and latent codes to `outDir` in `format`. */
export async function exportRun(runDir: string, o: ExportOptions): Promise<ExportResult> {
  checkRunFolder(runDir);
  checkOutDir(o.outDir);
  const format = o.format;
  const run = await openRun(runDir, o.backend ? { backend: o.backend } : {});
  try {
    const { session, data, config, checkpoint } = run;
    const model = session.model;
    if (model.decoder.type !== "mlp" || !model.encoder)
      throw new UserError(runDir, "the run's model has no MLP encoder and decoder to export");
    const arrays = new Map<string, NamedArray>();
    const params = (k: string): Float32Array => decodeF32(checkpoint.params[k]!, `${run.files.checkpoint}: params.${k}`);
    layerArrays("encoder", model.encoder, params("encoder"), arrays);
    layerArrays("decoder", model.decoder, params("decoder"), arrays);
    const d = session.latentDim;
    o.log?.(`encoding ${data.train.n} training and ${data.test.n} test points …`);
    arrays.set("latent.train", {
      data: encodeAll(session, data.trainX, data.train.n),
      shape: [data.train.n, d],
      about: "codes of the training split",
    });
    arrays.set("latent.test", {
      data: encodeAll(session, data.testX, data.test.n),
      shape: [data.test.n, d],
      about: "codes of the test split",
    });
    if (data.train.labels)
      arrays.set("labels.train", { data: Int32Array.from(data.train.labels), shape: [data.train.n], about: "class labels" });
    if (data.test.labels)
      arrays.set("labels.test", { data: Int32Array.from(data.test.labels), shape: [data.test.n], about: "class labels" });
    const st = data.standardization;
    if (st) {
      const D = model.outputDim;
      arrays.set("data.mean", { data: Float64Array.from(st.mean), shape: [D], about: "column means the data was centred by" });
      arrays.set("data.std", { data: Float64Array.from(st.std), shape: [D], about: "column scales the data was divided by" });
    }
    const manifest = {
      format: "ricci-gen-export",
      version: 1,
      run: config.name,
      step: checkpoint.step,
      configHash: checkpoint.configHash,
      latentDim: d,
      outputDim: model.outputDim,
      torus: session.torus,
      decoderTorusEmbedding: model.decoder.torusEmbedding,
      usage: [
        "Each MLP is y = act(W x + b) per layer, W of shape (out, in) as in torch.nn.Linear.",
        model.decoder.torusEmbedding
          ? "The decoder's input is (cos z, sin z) (all cosines first), z in (−π, π]^d."
          : "The decoder's input is z.",
        st ? "Encoder input and decoder output are standardised: x = data.std · Ψ(z) + data.mean." : "The data was not standardised.",
      ],
      ...(format === "onnx"
        ? {
            onnx: {
              file: "decoder.onnx",
              inputs: { z: ["n", d] },
              outputs: { x: ["n", model.outputDim], J: ["n", model.outputDim, d], g: ["n", d, d] },
            },
          }
        : {}),
      tensors: Object.fromEntries(
        [...arrays]
          .filter(([k]) => format !== "onnx" || !isWeight(k))
          .map(([k, a]) => [k, { shape: a.shape, dtype: a.data.constructor.name, about: a.about }]),
      ),
    };
    const files = fileContents(format, arrays, { format: "ricci-gen-export", run: config.name, step: String(checkpoint.step) });
    if (format === "onnx") {
      // The compiler (mathjs, the IR) loads only for this format.
      const { decoderOnnx } = await import("../../emit/facade.js");
      files.set("decoder.onnx", decoderOnnx(model, params("decoder"), { withMetric: true }));
    }
    const out = new Map<string, string | Uint8Array>(files);
    out.set(EXPORT_MANIFEST, JSON.stringify(manifest, null, 1) + "\n");
    writeFolderAtomic(o.outDir, out);
    return { dir: o.outDir, files: [...out.keys()].sort(), trainCodes: data.train.n, testCodes: data.test.n };
  } finally {
    run.dispose();
  }
}

/** The default output folder of `ricci-gen export runs/<name>`: exports/<name>-<format>. */
export function defaultExportDir(runDir: string, format: ExportFormat): string {
  const name =
    runDir
      .replace(/[/\\]+$/, "")
      .split(/[/\\]/)
      .pop() || "run";
  return join("exports", `${name}-${format}`);
}
