/**
 * Evaluating run folders: `evaluateRunFolder` reopens runs/<name>/ from its checkpoint and
 * (re)writes eval.json and latent.json; the trainer calls `evaluateAndWrite` with its live session
 * at the end of training.
 */
import { writeLatentCodes } from "../export/latent-files.js";
import { type LatentExport, type RunEvaluation, writeEvaluation } from "./eval-file.js";
import { evaluateRun, type EvalContext, type EvalOptions } from "./evaluate-run.js";
import { openRun, type EvalBackend } from "./open-run.js";

export { evaluateRun, type EvalContext, type EvalOptions } from "./evaluate-run.js";
export { openRun, runConfig, type EvalBackend, type OpenRun } from "./open-run.js";
export { checkRunFolder, runFolderFiles, type RunFiles } from "./folder.js";
export {
  evalFiles,
  readEvaluation,
  writeEvaluation,
  EVAL_FORMAT,
  EVAL_VERSION,
  type RunEvaluation,
  type LatentExport,
  type CurvatureStats,
  type GridStats,
  type CloudStats,
} from "./eval-file.js";

export interface EvaluatedRun {
  evaluation: RunEvaluation;
  latent: LatentExport;
  files: { eval: string; latent: string };
}

/** Evaluate with a live session and write eval.json + latent.json into runDir. */
export async function evaluateAndWrite(runDir: string, ctx: EvalContext, opts: EvalOptions = {}): Promise<EvaluatedRun> {
  const { evaluation, latent } = await evaluateRun(ctx, opts);
  // Every test code (latent.json holds a sample), written first like latent.json.
  writeLatentCodes(runDir, ctx.session, ctx.data);
  const files = writeEvaluation(runDir, evaluation, latent);
  return { evaluation, latent, files };
}

/** Reopen a run folder from its checkpoint and (re)write its evaluation. */
export async function evaluateRunFolder(runDir: string, opts: EvalOptions & { backend?: EvalBackend } = {}): Promise<EvaluatedRun> {
  const run = await openRun(runDir, opts.backend ? { backend: opts.backend } : {});
  try {
    return await evaluateAndWrite(
      runDir,
      { config: run.config, session: run.session, data: run.data, step: run.checkpoint.step, configHash: run.checkpoint.configHash },
      opts,
    );
  } finally {
    run.dispose();
  }
}
