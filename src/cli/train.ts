/**
 * `ricci-gen train config.json`: train an autoencoder with curvature regularisation as the config
 * says (format: docs/run-folder.md, examples/*.train.json). Artifacts go to runs/<name>/.
 *
 * Exit codes: 0 done (or stopped at --max-steps); 2 bad input (config, model, data: the message
 * names the field); 3 training fault (NaN loss or gradient: the step is named, the last good
 * checkpoint is kept); 130 interrupted by Ctrl-C / SIGTERM after writing a checkpoint (continue
 * with --resume).
 */
import type { Command } from "commander";
import { guarded } from "./errors.js";

interface TrainCliOptions {
  resume?: boolean;
  force?: boolean;
  runsDir?: string;
  backend?: string;
  epochs?: string;
  maxSteps?: string;
  progress: boolean;
}

/** A CLI number as given, so that the config schema reports a bad one by its field name. */
const asNumber = (v: string): number | string => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);

/** The run's figures into runs/<name>/plots/; a drawing problem is reported, never fatal to the run. */
export async function writePictures(runDir: string, verbose: boolean): Promise<void> {
  try {
    const { writeRunPictures } = await import("../report/run-pictures.js");
    const pics = await writeRunPictures(runDir);
    if (verbose) process.stderr.write(`pictures (${pics.files.length} files) written to ${pics.dir}\n`);
    for (const w of pics.warnings) process.stderr.write(`warning: ${w}\n`);
  } catch (e) {
    process.stderr.write(`warning: the run's pictures could not be drawn: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train an autoencoder (encoder + model.json decoder) with a curvature functional, as a config file says")
    .argument("<config>", "training config (.json): model, dataset, loss, λs, functional, measure, optimiser, epochs, batch, seed, backend")
    .option("--resume", "continue runs/<name> exactly where its checkpoint stopped (epochs and maxSteps may be raised)")
    .option("--force", "start over, discarding the checkpoint and metrics in runs/<name>")
    .option("--runs-dir <dir>", "folder for run folders (default: the config's runsDir, else ./runs)")
    .option("--backend <name>", "override the config's backend: cpu, wasm, webgpu (generated WGSL kernels), auto (webgpu if an adapter exists, else wasm), tfjs-webgpu, tensorflow")
    .option("--epochs <n>", "override the config's epochs")
    .option("--max-steps <n>", "stop after this many optimiser steps in all (a checkpoint is written)")
    .option("--no-progress", "no progress bar on stderr")
    .action(
      guarded(async (configPath: string, opts: TrainCliOptions) => {
        const [{ loadTrainConfig }, { train, TrainingFailure }] = await Promise.all([
          import("../runtime/train/config.js"),
          import("../runtime/train/trainer.js"),
        ]);
        const overrides: Record<string, unknown> = {};
        if (opts.runsDir !== undefined) overrides["runsDir"] = opts.runsDir;
        if (opts.backend !== undefined) overrides["backend"] = opts.backend;
        if (opts.epochs !== undefined) overrides["epochs"] = asNumber(opts.epochs);
        if (opts.maxSteps !== undefined) overrides["maxSteps"] = asNumber(opts.maxSteps);
        const { config } = loadTrainConfig(configPath, overrides);
        const stop = { requested: false };
        const onSignal = (): void => {
          if (stop.requested) process.exit(130);
          stop.requested = true;
          process.stderr.write("\nstopping after this step (a checkpoint will be written); press Ctrl-C again to abort at once\n");
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        try {
          const { summary, runDir } = await train(config, { resume: opts.resume === true, force: opts.force === true, progress: opts.progress, stop });
          if (summary.status === "interrupted") process.exitCode = 130;
          else await writePictures(runDir, opts.progress);
        } catch (e) {
          if (e instanceof TrainingFailure) {
            process.stderr.write(`ricci-gen: ${e.message}\n`);
            process.exitCode = 3;
            return;
          }
          throw e;
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      }),
    );
}
