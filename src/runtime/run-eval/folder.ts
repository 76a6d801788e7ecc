/**
 * The files of a run folder and the check that one is complete enough to evaluate. Kept free of
 * tfjs so that the CLI can reject a bad path before loading the runtime.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../util/errors.js";

/** Paths in runs/<name>/ (the trainer's runFiles, plus the evaluation's files). */
export const runFolderFiles = (dir: string) => ({
  config: join(dir, "config.json"),
  model: join(dir, "model.json"),
  data: join(dir, "data.json"),
  metrics: join(dir, "metrics.jsonl"),
  checkpoint: join(dir, "checkpoint.json"),
  summary: join(dir, "summary.json"),
  eval: join(dir, "eval.json"),
  latent: join(dir, "latent.json"),
});

export type RunFiles = ReturnType<typeof runFolderFiles>;

/** What evaluation needs. */
const REQUIRED = ["config", "data", "checkpoint"] as const;

/**
 * Checks that `runDir` is a run folder with config.json, data.json and checkpoint.json. Throws a
 * UserError naming exactly what is missing and how to produce it.
 */
export function checkRunFolder(runDir: string): RunFiles {
  if (!existsSync(runDir))
    throw new UserError(runDir, "no such run folder: train one first with `ricci-gen train <config.json>` (it writes runs/<name>/)");
  if (!statSync(runDir).isDirectory()) throw new UserError(runDir, "is not a folder: give a run folder such as runs/<name>");
  const files = runFolderFiles(runDir);
  const missing = REQUIRED.filter((k) => !existsSync(files[k]));
  if (missing.length > 0) {
    const names = missing.map((k) => `${k}.json`).join(", ");
    const runsInside = missing.length === REQUIRED.length ? runFoldersIn(runDir) : [];
    const hint =
      runsInside.length > 0
        ? `this is not a run folder but holds run folders: give one of ${runsInside.map((r) => join(runDir, r)).join(", ")}`
        : missing.length === REQUIRED.length
          ? "this is not a run folder; `ricci-gen train <config.json>` writes one"
          : missing.includes("checkpoint")
            ? "training has not written a checkpoint yet: finish or resume it with `ricci-gen train <config.json> --resume`"
            : "the run folder is incomplete: rerun `ricci-gen train <config.json> --force`";
    throw new UserError(runDir, `missing ${names}: ${hint}`);
  }
  return files;
}

/** Sub-folders of `dir` that look like run folders (hold a config.json), for a hint. */
function runFoldersIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "config.json")))
      .map((e) => e.name)
      .slice(0, 5);
  } catch {
    return [];
  }
}
