/**
 * SIGTERM and SIGINT sent to the `ricci-gen` process itself (bin/ricci-gen.mjs, which runs the
 * compiled CLI in-process) stop a training after the current step with a checkpoint: exit 143 for
 * SIGTERM, 130 for SIGINT, a finite checkpoint, summary.json saying "interrupted", no child process
 * left behind and no stray temporary or lock file. Needs dist/ (npm test builds it first).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeF32 } from "../src/runtime/train/checkpoint.js";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin", "ricci-gen.mjs");

/** Children of a process, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

const stepsLogged = (metrics: string): number =>
  existsSync(metrics)
    ? readFileSync(metrics, "utf8")
        .split("\n")
        .filter((l) => l.includes('"type":"step"')).length
    : 0;

async function interruptTraining(
  signal: "SIGTERM" | "SIGINT",
): Promise<{ code: number | null; runDir: string; stderr: string; children: number[] }> {
  const tmp = mkdtempSync(join(tmpdir(), `ricci-signal-${signal}-`));
  const config = join(tmp, "run.train.json");
  writeFileSync(
    config,
    JSON.stringify({
      name: "sig",
      model: join(ROOT, "examples/swiss-roll.model.json"),
      dataset: { kind: "swiss-roll", n: 4000 },
      epochs: 1000,
      batch: 16,
      backend: "cpu",
      evalEvery: 0,
      runsDir: join(tmp, "runs"),
    }),
  );
  const runDir = join(tmp, "runs", "sig");
  const child = spawn(process.execPath, [BIN, "train", config, "--no-progress"], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 240_000;
  while (stepsLogged(join(runDir, "metrics.jsonl")) < 2) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`training did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const children = childrenOf(child.pid!);
  child.kill(signal);
  const code = await exited;
  return { code, runDir, stderr, children };
}

function expectCheckpointed(runDir: string): void {
  const ck = JSON.parse(readFileSync(join(runDir, "checkpoint.json"), "utf8")) as {
    step: number;
    params: Record<string, { dtype: "float32"; length: number; base64: string }>;
  };
  expect(ck.step).toBeGreaterThanOrEqual(2);
  for (const [k, v] of Object.entries(ck.params)) expect(decodeF32(v, k).every(Number.isFinite)).toBe(true);
  expect(JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")).status).toBe("interrupted");
  const leftovers = readdirSync(runDir).filter((f) => f.endsWith(".tmp") || f === ".lock");
  expect(leftovers).toEqual([]);
}

describe.skipIf(!existsSync(join(ROOT, "dist/cli/main.js")) && process.env["CI"] !== "true")("signals to the ricci-gen process", () => {
  it("SIGTERM: checkpoint, exit 143, no child process", { timeout: 300_000 }, async () => {
    const r = await interruptTraining("SIGTERM");
    expect(r.children).toEqual([]);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/interrupted at step \d+; checkpoint in/);
    expectCheckpointed(r.runDir);
  });

  it("SIGINT: checkpoint, exit 130, no child process", { timeout: 300_000 }, async () => {
    const r = await interruptTraining("SIGINT");
    expect(r.children).toEqual([]);
    expect(r.code, r.stderr).toBe(130);
    expectCheckpointed(r.runDir);
  });
});

it("dist/ is built (npm test and npm run test:fast run `npm run build` first)", () => {
  expect(existsSync(join(ROOT, "dist/cli/main.js"))).toBe(true);
});
