/**
 * The pictures of one run as files: `runs/<name>/plots/<figure>.svg` and `.png` — latent codes by
 * each colouring, heatmaps of R, √det g and R²√det g, training curves — the same figures the report
 * embeds. Written after training (by `ricci-gen train` and `demo`); the folder is replaced
 * atomically, so a failed draw never leaves a half-written set.
 */
import { join } from "node:path";
import { writeFolderAtomic } from "../util/atomic.js";
import { loadRunData } from "./load-run.js";
import { FontUnavailableError, toPng } from "./png.js";
import { renderReport } from "./report.js";

export interface RunPictures {
  dir: string;
  files: string[];
  /** Problems that did not stop the pictures (a figure that could not be drawn, PNG without fonts). */
  warnings: string[];
}

/** File-name stem of a figure from its alt text: "latent codes by t" → "latent-codes-by-t". */
export function figureStem(alt: string): string {
  const ascii = alt
    .replace(/√/g, "sqrt-")
    .replace(/²/g, "2")
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
  return ascii || "figure";
}

/** Draws the run's figures into `<runDir>/plots/` (SVG always, PNG when a font is available). */
export async function writeRunPictures(runDir: string, opts: { log?: (line: string) => void } = {}): Promise<RunPictures> {
  const run = await loadRunData(runDir, { ...(opts.log ? { log: opts.log } : {}) });
  const rendered = renderReport([run], { images: "svg" });
  const warnings = [...rendered.warnings];
  const files = new Map<string, string | Uint8Array>();
  let png = true;
  for (const { alt, plot } of rendered.plots) {
    let stem = figureStem(alt);
    for (let i = 2; files.has(`${stem}.svg`); i++) stem = `${figureStem(alt)}-${i}`;
    files.set(`${stem}.svg`, plot.svg);
    if (!png) continue;
    try {
      files.set(`${stem}.png`, toPng(plot.svg));
    } catch (e) {
      if (!(e instanceof FontUnavailableError)) throw e;
      png = false;
      warnings.push(`${e.message}; only SVG pictures were written`);
    }
  }
  const dir = join(runDir, "plots");
  writeFolderAtomic(dir, files);
  return { dir, files: [...files.keys()].sort(), warnings };
}
