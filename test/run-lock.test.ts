/**
 * Faults around the run folder: one writer at a time (a second training is refused with a clear
 * message; a lock of a dead process is taken over), stray .tmp files of a killed writer are removed,
 * a failed atomic write leaves no .tmp, and a checkpoint is never written with NaN or ±Infinity —
 * end to end with a learning rate of 1e39, the last good checkpoint after the fault stop is finite.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeFailure } from "../src/cli/errors.js";
import { trainFromConfig } from "../src/index.js";
import { decodeF32, encodeF32, NonFiniteCheckpoint, saveCheckpoint, type Checkpoint } from "../src/runtime/train/checkpoint.js";
import { acquireRunLock, LOCK_FILE } from "../src/runtime/train/run-lock.js";
import { writeFileAtomic } from "../src/util/atomic.js";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "ricci-lock-"));

/** A pid that is certainly not running: a child that has already exited. */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);

describe("run-folder lock", () => {
  it("refuses a second writer, naming the holder; takes over after release", () => {
    const dir = join(tmp, "two-writers");
    const first = acquireRunLock(dir);
    expect(() => acquireRunLock(dir)).toThrow(/another training \(pid \d+ on .*\) is writing this run folder/);
    first.release();
    const second = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    second.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("a live process's lock is respected; a dead process's lock is taken over", () => {
    const dir = join(tmp, "stale");
    mkdirSync(dir, { recursive: true });
    // pid 1 always runs.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: hostname(), started: "earlier" }));
    expect(() => acquireRunLock(dir)).toThrow(/pid 1 /);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), started: "earlier" }));
    const lock = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("taking the lock removes stray .tmp files of a killed writer, and nothing else", () => {
    const dir = join(tmp, "stray");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".checkpoint.json.12345.tmp"), "half");
    writeFileSync(join(dir, "checkpoint.json"), "{}");
    const lock = acquireRunLock(dir);
    expect(lock.removed).toEqual([".checkpoint.json.12345.tmp"]);
    expect(readdirSync(dir).sort()).toEqual([".lock", "checkpoint.json"]);
    lock.release();
  });

  it("train() into a folder another process holds fails at once with exit-2 wording", async () => {
    const runsDir = join(tmp, "runs");
    mkdirSync(join(runsDir, "held"), { recursive: true });
    writeFileSync(join(runsDir, "held", LOCK_FILE), JSON.stringify({ pid: 1, host: hostname(), started: "earlier" }));
    const config = {
      name: "held",
      model: join(ROOT, "examples/swiss-roll.model.json"),
      dataset: { kind: "swiss-roll", n: 100 },
      epochs: 1,
      backend: "cpu",
      runsDir,
    };
    const err = await trainFromConfig(config).catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({ line: expect.stringMatching(/another training \(pid 1 /), code: 2 });
  });
});

describe("atomic writes and checkpoints", () => {
  it("a failed write leaves no .tmp beside the target (here the rename fails: the target is a folder)", () => {
    const dir = join(tmp, "atomic");
    mkdirSync(join(dir, "target-is-a-folder"), { recursive: true });
    expect(() => writeFileAtomic(join(dir, "target-is-a-folder"), "x")).toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it.runIf(process.platform === "linux")("a real ENOSPC (writing to /dev/full) is one line, exit 2", () => {
    let err: unknown;
    try {
      writeFileSync("/dev/full", "x");
    } catch (e) {
      err = e;
    }
    expect(describeFailure(err)).toEqual({
      line: expect.stringMatching(/no space left on the device: free some space or write elsewhere \(ENOSPC, write\)$/),
      code: 2,
    });
  });

  it("saveCheckpoint refuses NaN and ±Infinity in parameters and Adam moments", () => {
    const ck = (params: Float32Array, v: Float32Array): Checkpoint => ({
      format: "ricci-gen-checkpoint",
      version: 1,
      configHash: "h",
      step: 1,
      epoch: 0,
      stepInEpoch: 1,
      stepsPerEpoch: 2,
      elapsedSec: 0,
      measureBox: null,
      initialScale: null,
      scaleWarned: false,
      degenerateTotal: 0,
      params: { decoder: encodeF32(params) },
      adam: { model: { t: 1, slots: { decoder: { m: encodeF32(new Float32Array(2)), v: encodeF32(v) } } } },
    });
    const path = join(tmp, "ck.json");
    saveCheckpoint(path, ck(Float32Array.of(1, 2), Float32Array.of(0, 0)));
    const good = readFileSync(path, "utf8");
    expect(() => saveCheckpoint(path, ck(Float32Array.of(1, Infinity), Float32Array.of(0, 0)))).toThrow(NonFiniteCheckpoint);
    expect(() => saveCheckpoint(path, ck(Float32Array.of(1, 2), Float32Array.of(Number.NaN, 0)))).toThrow(/adam\.model\.decoder\.v/);
    expect(readFileSync(path, "utf8")).toBe(good);
  });

  it("lr 1e39: training stops with a fault and the last checkpoint is finite", async () => {
    const runsDir = join(tmp, "runs-lr");
    const config = {
      name: "lr-1e39",
      model: join(ROOT, "examples/swiss-roll.model.json"),
      dataset: { kind: "swiss-roll", n: 300 },
      epochs: 5,
      batch: 30,
      backend: "cpu",
      checkpointEvery: 1,
      evalEvery: 0,
      optimizer: { lr: 1e39 },
      runsDir,
    };
    const err = await trainFromConfig(config).catch((e: unknown) => e);
    expect((err as Error).name).toBe("TrainingFailure");
    const file = join(runsDir, "lr-1e39", "checkpoint.json");
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, "utf8")) as Checkpoint;
      for (const [k, v] of Object.entries(saved.params)) expect(decodeF32(v, k).every(Number.isFinite), k).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(runsDir, "lr-1e39", "summary.json"), "utf8")).status).toBe("failed");
    expect(readdirSync(join(runsDir, "lr-1e39")).filter((f) => f.endsWith(".tmp") || f === LOCK_FILE)).toEqual([]);
  });
});
