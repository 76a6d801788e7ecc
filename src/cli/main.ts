#!/usr/bin/env node
/** The `ricci-gen` command line. Each command lives in its own module and registers itself here. */
import { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerCheck } from "./check.js";
import { registerCompile } from "./compile.js";
import { registerDemo } from "./demo.js";
import { registerEval } from "./eval.js";
import { registerReport } from "./report.js";
import { registerTrain } from "./train.js";

const program = new Command()
  .name("ricci-gen")
  .description("Compiler and runtime for geometry-regularised autoencoders (curvature of the latent pullback metric).")
  .version("0.1.0");

registerCompile(program);
registerCheck(program);
registerTrain(program);
registerEval(program);
registerReport(program);
registerDemo(program);
registerBench(program);

await program.parseAsync(process.argv);
