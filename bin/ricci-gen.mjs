#!/usr/bin/env node
// Entry point: runs the compiled CLI (dist/, built by `npm run build`, `prepare` and `prepack`) in
// this very process, so SIGINT/SIGTERM reach the trainer, which checkpoints and exits 130/143.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("ricci-gen: dist/ is missing: run `npm run build` (npm ci and npm install run it for you)\n");
  process.exit(2);
}
const { runCli } = await import(main.href);
const code = await runCli(process.argv);
process.exitCode = code;
// The command is done; a library handle (a worker pool, a device) must not keep the process alive.
setTimeout(() => process.exit(code), 2000).unref();
