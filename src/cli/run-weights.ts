/**
 * `curvature --run` and `check --run`: a trained run's decoder — the run folder's model.json copy
 * with the decoder parameters of its checkpoint (float32, in the layout of model/params.ts) — instead
 * of the model's initial weights.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Model } from "../model/types.js";
import { UserError } from "../util/errors.js";

export interface RunDecoder {
  model: Model;
  params: Float64Array;
  /** Optimiser steps the checkpoint holds. */
  step: number;
}

export async function loadRunDecoder(runDir: string): Promise<RunDecoder> {
  const [{ checkRunFolder }, { parseJsonText, parseModel }, { loadCheckpoint, decodeF32 }, { paramLayout }] = await Promise.all([
    import("../runtime/run-eval/folder.js"),
    import("../model/schema.js"),
    import("../runtime/train/checkpoint.js"),
    import("../model/params.js"),
  ]);
  const files = checkRunFolder(runDir);
  if (!existsSync(files.model))
    throw new UserError(runDir, "missing model.json: the run folder is incomplete; rerun `ricci-gen train <config.json> --force`");
  const text = readFileSync(files.model, "utf8");
  const config = parseJsonText(readFileSync(files.config, "utf8"), files.config) as { resolved?: { modelPath?: string } };
  // Weights files in the model are relative to the original model file, not to the run folder.
  const baseDir = typeof config.resolved?.modelPath === "string" ? dirname(config.resolved.modelPath) : runDir;
  const model = parseModel(parseJsonText(text, files.model), { baseDir, sourceText: text });
  const ck = loadCheckpoint(files.checkpoint);
  const encoded = ck.params?.["decoder"];
  if (model.decoder.type !== "mlp") return { model, params: new Float64Array(0), step: ck.step };
  if (encoded === undefined)
    throw new UserError(
      join(runDir, "checkpoint.json"),
      "has no decoder parameters: the checkpoint is damaged; rerun the training with --force",
    );
  const params = Float64Array.from(decodeF32(encoded, `${files.checkpoint}: params.decoder`));
  const size = paramLayout(model.decoder).size;
  if (params.length !== size)
    throw new UserError(
      files.checkpoint,
      `holds ${params.length} decoder parameters but the run's model.json needs ${size}: the run folder is inconsistent`,
    );
  if (!params.every(Number.isFinite))
    throw new UserError(files.checkpoint, "the decoder parameters are not all finite: the checkpoint is damaged");
  return { model, params, step: ck.step };
}
