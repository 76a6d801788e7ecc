/**
 * Reopening a finished run folder runs/<name>/: the config it was trained with, the same data split
 * and standardisation, and a session holding the checkpoint's parameters. Missing pieces are a
 * UserError naming the file and how to produce it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../../util/errors.js";
import { useBackend } from "../train/backend.js";
import { decodeF32, loadCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import { parseTrainConfig, type TrainConfig } from "../train/config.js";
import { buildSession, loadTrainingData, loadTrainingModel, type Session, type SessionData } from "../train/session.js";
import { checkRunFolder, type RunFiles } from "./folder.js";

/** tfjs backends evaluation runs on. */
export type EvalBackend = "cpu" | "wasm";

function readJsonObject(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(path, `cannot be read as JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UserError(path, "must hold a JSON object");
  return v as Record<string, unknown>;
}

/** The run's config from config.json, with the model read from the run's own model.json copy. */
export function runConfig(runDir: string, files: RunFiles = checkRunFolder(runDir)): TrainConfig {
  const { resolved, ...raw } = readJsonObject(files.config) as Record<string, unknown> & {
    resolved?: { modelPath?: string; baseDir?: string };
  };
  // Dataset paths are relative to the original config's folder (recorded since resolved.baseDir exists).
  const baseDir = resolved?.baseDir ?? (resolved?.modelPath ? dirname(resolved.modelPath) : process.cwd());
  const parsed = parseTrainConfig(raw, { baseDir, where: files.config });
  const modelPath = existsSync(files.model) ? resolve(files.model) : parsed.modelPath;
  if (!existsSync(modelPath)) throw new UserError(files.model, `missing, and the original model file ${parsed.modelPath} is gone too`);
  return { ...parsed, modelPath, runsPath: resolve(runDir, "..") };
}

export interface OpenRun {
  runDir: string;
  files: RunFiles;
  config: TrainConfig;
  checkpoint: Checkpoint;
  session: Session;
  data: SessionData;
  backend: string;
  dispose(): void;
}

/**
 * Rebuild the session of a run with its checkpoint's parameters and reload its data with the same
 * split and standardisation (checked against data.json). Evaluation is small, so it runs on the tfjs
 * cpu or wasm backend: cpu when the run trained on cpu (bit-reproducible), else wasm.
 */
export async function openRun(runDir: string, opts: { backend?: EvalBackend } = {}): Promise<OpenRun> {
  const files = checkRunFolder(runDir);
  const config = runConfig(runDir, files);
  const checkpoint = loadCheckpoint(files.checkpoint);
  const want: EvalBackend = opts.backend ?? (config.backend === "cpu" ? "cpu" : "wasm");
  if (want !== "cpu" && want !== "wasm") throw new UserError("--backend", `evaluation runs on cpu or wasm, not '${String(want)}'`);
  const backend = await useBackend(want);
  const modelInfo = loadTrainingModel(config);
  const data = loadTrainingData(config, modelInfo.model.outputDim);
  const stored = readJsonObject(files.data) as {
    train?: number;
    test?: number;
    standardization?: { mean: number[]; std: number[] } | null;
  };
  if (stored.train !== data.train.n || stored.test !== data.test.n)
    throw new UserError(
      files.data,
      `says ${stored.train} training / ${stored.test} test points, the dataset now gives ${data.train.n} / ${data.test.n}: the data changed since training`,
    );
  const st = stored.standardization;
  if (st && data.standardization) {
    const off = st.mean.some((v, j) => Math.abs(v - data.standardization!.mean[j]!) > 1e-9 * (1 + Math.abs(v)));
    if (off)
      throw new UserError(files.data, "the standardisation differs from the reloaded training data: the data changed since training");
  }
  const { session } = await buildSession(config, modelInfo);
  try {
    session.restore(
      Object.fromEntries(Object.entries(checkpoint.params).map(([k, v]) => [k, decodeF32(v, `${files.checkpoint}: params.${k}`)])),
    );
  } catch (e) {
    session.dispose();
    throw e;
  }
  return { runDir, files, config, checkpoint, session, data, backend, dispose: () => session.dispose() };
}
