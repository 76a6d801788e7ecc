/**
 * metrics.jsonl: one JSON object per line, appended as training goes (format: docs/run-folder.md).
 * On --resume the file is cut back to the records up to the checkpoint's step (a killed process may
 * have logged steps after its last checkpoint, or a partial last line), so the file always reads as
 * one uninterrupted run.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../util/atomic.js";

export type MetricRecord = { type: "step" | "eval" | "event"; step: number } & Record<string, unknown>;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + "\n");
  }

  /** Keep only whole records with step ≤ `step`. */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as MetricRecord;
        if (typeof r.step === "number" && r.step <= step) kept.push(line);
      } catch {
        // a partial line from a killed process
      }
    }
    writeFileAtomic(this.path, kept.length ? kept.join("\n") + "\n" : "");
  }

  reset(): void {
    writeFileAtomic(this.path, "");
  }
}

export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as MetricRecord];
      } catch {
        return [];
      }
    });
}
