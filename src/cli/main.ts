#!/usr/bin/env node
/**
 * The `ricci-gen` command line. Each command lives in its own module and registers itself here;
 * heavy modules (tfjs, mathjs, the compiler) load only inside the command that needs them, so
 * `--help` starts in a fraction of a second.
 *
 * `runCli(argv)` runs one command line in this process and resolves with its exit code (see
 * exit-codes.ts); bin/ricci-gen.mjs calls it, so signals reach the trainer directly.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerBench } from "./bench.js";
import { registerCheck } from "./check.js";
import { registerCompile } from "./compile.js";
import { registerCurvature } from "./curvature.js";
import { registerDemo } from "./demo.js";
import { reportFailure } from "./errors.js";
import { registerEval } from "./eval.js";
import { registerExport } from "./export.js";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { registerReport } from "./report.js";
import { registerTrain } from "./train.js";
import { VERSION } from "./version.js";

/** commander's own errors ("error: unknown option '--foo'\n(Did you mean --out?)") as one line. */
const oneLineError = (s: string): string =>
  `ricci-gen: ${s
    .replace(/^error: /, "")
    .replace(/\s*\n\s*/g, " ")
    .trim()}\n`;

export function buildProgram(): Command {
  const program = new Command()
    .name("ricci-gen")
    .description("Compiler and runtime for geometry-regularised autoencoders (curvature of the latent pullback metric).")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(oneLineError(s)) })
    .addHelpText("after", EXIT_CODES_HELP);
  registerCompile(program);
  registerCurvature(program);
  registerCheck(program);
  registerTrain(program);
  registerEval(program);
  registerReport(program);
  registerExport(program);
  registerDemo(program);
  registerBench(program);
  return program;
}

/** Run one command line (process.argv form: node, script, args…) and resolve with its exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; every parser error (unknown option or command, missing argument) is usage.
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else reportFailure(e);
  }
  const code = Number(process.exitCode ?? EXIT.ok);
  process.exitCode = undefined;
  return code;
}

/** True when this file is the program node started (tsx src/cli/main.ts, node dist/cli/main.js). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await runCli(process.argv);
