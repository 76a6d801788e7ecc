/**
 * `init.from`: a run starts from another run's checkpoint parameters exactly (its first step's loss
 * is the loss of those parameters on its first batch), resumes exactly, and refuses a missing
 * checkpoint or a different architecture (exit 2 through the CLI). Also a CI-sized check that the
 * chart-fixing terms train: each lowers its own metric against the same run without it.
 */
import * as tf from "@tensorflow/tfjs";
import { Command } from "commander";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { registerTrain } from "../src/cli/train.js";
import { decodeF32, loadCheckpoint } from "../src/runtime/train/checkpoint.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { readMetrics } from "../src/runtime/train/metrics.js";
import { regularizerPoints } from "../src/runtime/train/regularizer-points.js";
import { buildSession, loadTrainingData, PART_NAMES } from "../src/runtime/train/session.js";
import { epochPermutation, train } from "../src/runtime/train/trainer.js";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modelFile(name: string, hidden: number): string {
  const path = join(dir, `${name}.model.json`);
  writeFileSync(
    path,
    JSON.stringify({
      name,
      latentDim: 2,
      outputDim: 3,
      decoder: {
        type: "mlp",
        layers: [
          { units: hidden, activation: "tanh" },
          { units: 3, activation: "linear" },
        ],
      },
      encoder: {
        layers: [
          { units: 16, activation: "tanh" },
          { units: 2, activation: "linear" },
        ],
      },
      weights: { seed: 3 },
    }),
  );
  return path;
}
const small = modelFile("small", 16);
const wider = modelFile("wider", 24);

const rawConfig = (over: Record<string, unknown>) => ({
  name: "t",
  model: small,
  dataset: { kind: "swiss-roll", n: 320, seed: 1 },
  epochs: 1,
  batch: 32,
  seed: 7,
  backend: "cpu",
  runsDir: join(dir, "runs"),
  ...over,
});
const config = (over: Record<string, unknown>) => parseTrainConfig(rawConfig(over), { baseDir: dir, cwd: dir });
const quiet = { progress: false, evaluate: false };
const steps = (runDir: string) => readMetrics(join(runDir, "metrics.jsonl")).filter((r) => r.type === "step");

describe("init.from", () => {
  it("starts from the other run's parameters exactly and resumes exactly", async () => {
    const pre = await train(config({ name: "pre" }), quiet);
    const fine = { loss: { curv: 0.1, isometry: { weight: 0.5 } }, init: { from: pre.runDir }, seed: 11 };
    const b = await train(config({ ...fine, name: "fine", epochs: 2 }), quiet);

    // The first step's parts are those of pre's final parameters on fine's first batch.
    const cfg = config({ ...fine, name: "fine" });
    const { session } = await buildSession(cfg);
    const ck = loadCheckpoint(join(pre.runDir, "checkpoint.json"));
    session.restore({ encoder: decodeF32(ck.params["encoder"]!, "encoder"), decoder: decodeF32(ck.params["decoder"]!, "decoder") });
    const data = loadTrainingData(cfg, 3);
    const perm = epochPermutation(data.train.n, 11, 0);
    const batch = new Float32Array(32 * 3);
    for (let i = 0; i < 32; i++) batch.set(data.trainX.subarray(perm[i]! * 3, perm[i]! * 3 + 3), i * 3);
    const expected = tf.tidy(() =>
      Array.from(session.stepLoss(tf.tensor2d(batch, [32, 3]), null, regularizerPoints(11, 1, 32, 0.2)).parts.dataSync()),
    );
    session.dispose();
    const first = steps(b.runDir)[0]!;
    expect(first["loss"]).toBe(expected[0]);
    expect(first["isometry"]).toBe(expected[PART_NAMES.indexOf("isometry")]);

    // Resume: 1 epoch, then continue to 2, gives the uninterrupted run's losses bit for bit.
    const c1 = await train(config({ ...fine, name: "fine", epochs: 1, runsDir: join(dir, "runsC") }), quiet);
    const c2 = await train(config({ ...fine, name: "fine", epochs: 2, runsDir: join(dir, "runsC") }), { ...quiet, resume: true });
    expect(c1.summary.steps).toBe(8);
    expect(steps(c2.runDir).map((r) => r["loss"])).toEqual(steps(b.runDir).map((r) => r["loss"]));
  });

  it("a folder without a checkpoint or a different architecture is a UserError on init.from; the CLI exits 2", async () => {
    await expect(train(config({ name: "x", init: { from: join(dir, "nowhere") } }), quiet)).rejects.toThrow(UserError);
    await expect(train(config({ name: "x", init: { from: join(dir, "nowhere") } }), quiet)).rejects.toThrow(/init\.from/);
    const pre = await train(config({ name: "pre2" }), quiet);
    await expect(train(config({ name: "y", model: wider, init: { from: pre.runDir } }), quiet)).rejects.toThrow(
      /init\.from: the decoder .* has \d+ parameters/,
    );

    const file = join(dir, "bad.train.json");
    writeFileSync(file, JSON.stringify(rawConfig({ name: "z", init: { from: join(dir, "nowhere") } })));
    const program = new Command().exitOverride();
    registerTrain(program);
    let stderr = "";
    const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    const exit = vi.spyOn(process, "exit").mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    let code: number;
    try {
      await program.parseAsync(["train", file, "--no-progress"], { from: "user" });
      code = Number(process.exitCode ?? 0);
    } catch (e) {
      code = Number(/exit (\d+)/.exec((e as Error).message)?.[1] ?? -1);
    } finally {
      write.mockRestore();
      exit.mockRestore();
      process.exitCode = 0;
    }
    expect(code).toBe(2);
    expect(stderr).toMatch(/init\.from/);
  });
});

describe("chart-fixing terms train (CI-sized)", () => {
  it("each term lowers its own metric against the same run without it", async () => {
    const last = async (name: string, loss: Record<string, unknown>) => {
      const r = await train(config({ name, epochs: 3, optimizer: { lr: 0.01 }, loss: { isometry: { weight: 1e-9 }, ...loss } }), quiet);
      return steps(r.runDir).slice(-4);
    };
    const mean = (rs: Record<string, unknown>[], k: string) => rs.reduce((s, r) => s + (r[k] as number), 0) / rs.length;
    const base = await last("ctl", {});
    for (const [term, part] of [
      ["isometry", "isometry"],
      ["conformality", "conformality"],
      ["volume", "volumeVariance"],
    ] as const) {
      const with_ = await last(term, { [term]: { weight: 10 } });
      expect(mean(with_, part), term).toBeLessThan(0.8 * mean(base, part));
    }
  });
});
