/**
 * `ricci-gen train config.json`: train an autoencoder with curvature regularisation as the config
 * says (format: docs/run-folder.md, examples/*.train.json). Artifacts go to runs/<name>/.
 *
 * Exit codes: 0 done (or stopped at --max-steps); 2 bad input (config, model, data: the message
 * names the field); 3 training fault (NaN loss or gradient: the step is named, the last good
 * checkpoint is kept); 130 interrupted by Ctrl-C (SIGINT), 143 terminated by SIGTERM, each after
 * writing a checkpoint (continue with --resume). A second signal aborts at once with the same code.
 */
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { integerFlag } from "./flags.js";
import { StopOnSignal } from "./signals.js";

interface TrainCliOptions {
  resume?: boolean;
  force?: boolean;
  runsDir?: string;
  backend?: string;
  epochs?: string;
  maxSteps?: string;
  threads?: string;
  progress: boolean;
}

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
    .option(
      "--backend <name>",
      "override the config's backend: auto (default: webgpu on a hardware GPU, else onnx), onnx (compiled training step in ONNX Runtime), webgpu (generated WGSL kernels), cpu, wasm, tfjs-webgpu, tensorflow (tfjs)",
    )
    .option("--threads <n>", "threads of the onnx engine (default: every core)")
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
        if (opts.epochs !== undefined) overrides["epochs"] = integerFlag(opts.epochs, "--epochs", 1);
        if (opts.maxSteps !== undefined) overrides["maxSteps"] = integerFlag(opts.maxSteps, "--max-steps", 1);
        if (opts.resume && opts.force) throw new UserError("--force", "give --resume (continue the run) or --force (start over), not both");
        const { config } = loadTrainConfig(configPath, overrides);
        const stop = new StopOnSignal("stopping after this step (a checkpoint will be written)");
        try {
          const threads = opts.threads === undefined ? {} : { threads: integerFlag(opts.threads, "--threads", 1) };
          const { summary, runDir } = await train(config, {
            resume: opts.resume === true,
            force: opts.force === true,
            progress: opts.progress,
            stop,
            ...threads,
          });
          if (summary.status === "interrupted") {
            process.exitCode = stop.exitCode();
            process.stderr.write(`ricci-gen: interrupted at step ${summary.steps}; checkpoint in ${runDir} (continue with --resume)\n`);
            return;
          }
          await writePictures(runDir, opts.progress);
          // The progress log says where everything went; without it, say it here.
          if (!opts.progress) process.stderr.write(`${summary.status}: ${summary.steps} steps; run folder ${runDir}\n`);
        } catch (e) {
          if (e instanceof TrainingFailure) {
            process.stderr.write(`ricci-gen: ${e.message}\n`);
            process.exitCode = EXIT.trainingFault;
            return;
          }
          throw e;
        } finally {
          stop.dispose();
        }
      }),
    );
}
