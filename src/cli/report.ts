/**
 * `ricci-gen report runs/<a> [runs/<b> …] [-o report.html]`: one self-contained HTML report
 * comparing the runs side by side (metrics, latent codes, curvature heatmaps, training curves,
 * configs). Runs without an up-to-date eval.json are evaluated first. The report is never written
 * into a run folder.
 */
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";
import { VERSION } from "./version.js";

interface ReportCliOptions {
  out?: string;
  title?: string;
  svg?: boolean;
  eval: boolean;
}

/** reports/<a>-vs-<b>.html in the working directory (reports/<a>.html for one run). */
export function defaultReportPath(runDirs: readonly string[]): string {
  const names = runDirs.map((d) => basename(resolve(d)));
  return join("reports", `${names.join("-vs-")}.html`);
}

/** Throws when `out` lies inside one of the run folders (a report must not land among a run's files). */
export function checkOutsideRuns(out: string, runDirs: readonly string[]): void {
  const o = resolve(out);
  for (const d of runDirs) {
    const rel = relative(resolve(d), o);
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)))
      throw new UserError(out, `is inside the run folder ${d}: write the report elsewhere (default: ${defaultReportPath(runDirs)})`);
  }
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report comparing trained runs side by side")
    .argument("<runs...>", "run folders written by `ricci-gen train` (runs/<name>)")
    .option("-o, --out <file>", "report file (.html; default reports/<a>-vs-<b>.html)")
    .option("--title <text>", "page title")
    .option("--svg", "embed pictures as SVG instead of PNG")
    .option("--no-eval", "do not compute a missing eval.json (report the runs without it)")
    .action(
      guarded(async (runDirs: string[], opts: ReportCliOptions) => {
        const { checkRunFolder } = await import("../runtime/run-eval/folder.js");
        for (const dir of runDirs) checkRunFolder(dir);
        const out = opts.out ?? defaultReportPath(runDirs);
        checkOutsideRuns(out, runDirs);
        // The runtime (tfjs) loads only once the input is known to be good.
        const [{ loadRunData }, { writeReport }] = await Promise.all([import("../report/load-run.js"), import("../report/report.js")]);
        const runs = [];
        for (const dir of runDirs) runs.push(await loadRunData(dir, { evaluate: opts.eval, log: (l) => process.stderr.write(l + "\n") }));
        const w = writeReport(runs, out, {
          title: opts.title ?? (runs.length === 1 ? `ricci-gen: ${runs[0]!.name}` : `ricci-gen: ${runs.map((r) => r.name).join(" vs ")}`),
          images: opts.svg ? "svg" : "png",
          generator: `ricci-gen ${VERSION}`,
        });
        for (const warning of w.warnings) process.stderr.write(`warning: ${warning}\n`);
        process.stdout.write(`report: ${w.path} (${(w.bytes / 1024).toFixed(0)} KiB, ${w.figures} figures)\n`);
      }),
    );
}
