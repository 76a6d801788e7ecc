/**
 * The trainer end to end on small problems: bit-identical reruns and exact resume on the cpu
 * backend, F and W finite with their normalisation, degenerate points, the NaN guard, and bad input
 * (config fields, NaN data) with the CLI's exit codes.
 */
import { Command } from "commander";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { registerTrain } from "../src/cli/train.js";
import { loadCheckpoint } from "../src/runtime/train/checkpoint.js";
import { loadTrainConfig, parseTrainConfig } from "../src/runtime/train/config.js";
import { curvatureFunctional } from "../src/runtime/train/losses.js";
import { readMetrics } from "../src/runtime/train/metrics.js";
import { emitTrainingKernels, loadTfjsKernelModule } from "../src/runtime/train/tfjs-kernels.js";
import { train, TrainingFailure } from "../src/runtime/train/trainer.js";
import { UserError } from "../src/util/errors.js";
import { mlpModel, named } from "./helpers/models.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modelFile(name: string, activation = "tanh"): string {
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
          { units: 16, activation },
          { units: 16, activation },
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

const small = modelFile("small");

function config(over: Record<string, unknown>, runs = "runs") {
  return parseTrainConfig(
    {
      name: "t",
      model: small,
      dataset: { kind: "swiss-roll", n: 320, seed: 1 },
      epochs: 2,
      batch: 32,
      seed: 7,
      runsDir: join(dir, runs),
      ...over,
    },
    { baseDir: dir },
  );
}

const quiet = { progress: false };
const steps = (runDir: string) => readMetrics(join(runDir, "metrics.jsonl")).filter((r) => r.type === "step");

describe("reproducibility (cpu backend)", () => {
  const full = {
    loss: { curv: 0.05, functional: "R2", uniformity: { weight: 0.1 }, contractive: { weight: 0.1, delta: 0.5 } },
    measure: { kind: "uniform", points: 64 },
  };
  it("the same seed gives bit-identical runs, and --resume continues exactly", async () => {
    const a = await train(config({ ...full, name: "a" }, "runsA"), quiet);
    const b = await train(config({ ...full, name: "a" }, "runsB"), quiet);
    const sa = steps(a.runDir);
    const sb = steps(b.runDir);
    expect(sa.length).toBe(16); // 256 training points / 32 = 8 steps per epoch
    expect(sb.map((r) => r["loss"])).toEqual(sa.map((r) => r["loss"]));

    // Interrupted after epoch 1, then resumed to epoch 2; a killed process also left a record past
    // the checkpoint and a partial line in metrics.jsonl.
    const c1 = await train(config({ ...full, name: "a", epochs: 1 }, "runsC"), quiet);
    expect(c1.summary.steps).toBe(8);
    appendFileSync(join(c1.runDir, "metrics.jsonl"), JSON.stringify({ type: "step", step: 9, loss: 123 }) + '\n{"type":"st');
    const c2 = await train(config({ ...full, name: "a", epochs: 2 }, "runsC"), { ...quiet, resume: true });
    const sc = steps(c2.runDir);
    expect(sc.map((r) => r["step"])).toEqual(sa.map((r) => r["step"]));
    for (const key of ["loss", "recon", "curv", "uniformity", "contractive", "gradNorm"])
      expect(
        sc.map((r) => r[key]),
        key,
      ).toEqual(sa.map((r) => r[key]));
    const pa = loadCheckpoint(join(a.runDir, "checkpoint.json"));
    const pc = loadCheckpoint(join(c2.runDir, "checkpoint.json"));
    expect(pc.step).toBe(16);
    expect(pc.params).toEqual(pa.params);
    expect(pc.adam).toEqual(pa.adam);
    expect(c2.summary.test).toEqual(a.summary.test);
  });

  it("refuses to overwrite a run without --force, and to resume a different config", async () => {
    await expect(train(config({ ...full, name: "a" }, "runsA"), quiet)).rejects.toThrow(/--resume.*--force/);
    await expect(train(config({ ...full, name: "a", seed: 8 }, "runsA"), { ...quiet, resume: true })).rejects.toThrow(UserError);
  });
});

describe("F and W", () => {
  for (const [functional, measure, tau] of [
    ["F", { kind: "uniform", points: 96 }, { value: 1, learn: false }],
    ["W", { kind: "grid", resolution: 8 }, { value: 0.5, learn: true }],
    ["W", { kind: "batch" }, { value: 1, learn: false }],
  ] as const) {
    it(`${functional} with the ${measure.kind} measure stays finite; ∫(4πτ)^{−n/2·[W]} e^{−f} dμ = 1 to 1e-3`, async () => {
      const { summary, runDir } = await train(
        config({
          name: `${functional}-${measure.kind}`,
          loss: { curv: 0.1, functional },
          measure,
          tau,
          optimizer: { lr: 0.005 },
          epochs: 3,
        }),
        quiet,
      );
      const s = steps(runDir);
      expect(s.length).toBe(24);
      for (const r of s) {
        expect(Number.isFinite(r["curv"]), `step ${r.step}`).toBe(true);
        expect(r["normError"] as number).toBeLessThan(1e-3);
        if (functional === "W") expect(r["tau"] as number).toBeGreaterThan(0);
      }
      if (tau.learn) expect(s[s.length - 1]!["tau"]).not.toBe(s[0]!["tau"]);
      expect(summary.status).toBe("completed");
      expect(Number.isFinite(summary.test!.functional)).toBe(true);
      expect(summary.measure).toContain(measure.kind);
    });
  }
});

describe("degenerate metrics", () => {
  it("points with det g ≤ ε are counted and excluded, never NaN", async () => {
    tf.enableProdMode();
    await tf.setBackend("cpu");
    const model = mlpModel({ d: 2, D: 3, hidden: [8], activation: named("tanh") });
    const dec = await loadTfjsKernelModule(emitTrainingKernels(model, "b"));
    const { potentialModel } = await import("../src/runtime/train/potential.js");
    const { emitPotentialKernels } = await import("../src/runtime/train/tfjs-kernels.js");
    const pot = await loadTfjsKernelModule(
      emitPotentialKernels(potentialModel({ latentDim: 2, torus: false, hidden: [4], activation: named("tanh"), seed: 1 })),
    );
    for (const functional of ["R2", "F"] as const) {
      // All-zero decoder weights: J = 0, det g = 0 everywhere, R would be 0/0.
      const theta = tf.variable(tf.zeros([dec.model.paramCount]));
      const phi = tf.variable(tf.fill([pot.model.paramCount], 0.1));
      const z = tf.tensor2d([0.1, 0.2, -0.3, 0.5, 0.7, -0.1], [3, 2]);
      const setup = { decoder: dec, potential: pot, route: "b" as const, functional, detEpsilon: 1e-6, latentDim: 2 };
      const { value, grads } = tf.variableGrads(() => {
        const r = curvatureFunctional(setup, dec.weights(tf, theta), phi, null, z, 1 / 3);
        expect(r.degenerate.dataSync()[0]).toBe(3);
        return r.value as tf.Scalar;
      }, [theta, phi]);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    }
    // In training: an ε above every det g makes every point degenerate; the run stays finite and reports them.
    const { summary, runDir } = await train(config({ name: "degenerate", loss: { curv: 0.1, detEpsilon: 1e6 }, epochs: 1 }), quiet);
    expect(summary.degenerateTotal).toBe(256);
    expect(summary.test!.degenerate).toBe(64);
    for (const r of steps(runDir)) expect(r["degenerate"]).toBe(32);
  });
});

describe("faults", () => {
  it("a NaN/Inf loss stops the run, names the step and keeps the last good checkpoint", async () => {
    const exploding = modelFile("exploding", "exp(x)");
    const cfg = config({ name: "nan", model: exploding, optimizer: { lr: 1e6 }, checkpointEvery: 1, epochs: 3 });
    const err = await train(cfg, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingFailure);
    const failure = err as TrainingFailure;
    expect(failure.step).toBeGreaterThan(1);
    expect(failure.message).toMatch(new RegExp(`step ${failure.step}`));
    const runDir = join(dir, "runs", "nan");
    const ck = loadCheckpoint(join(runDir, "checkpoint.json"));
    expect(ck.step).toBe(failure.step - 1);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"));
    expect(summary.status).toBe("failed");
    expect(summary.failure.step).toBe(failure.step);
    expect(readdirTmp(runDir)).toEqual([]);
  });

  it("NaN/Inf in the data: a clear error naming the first bad row", async () => {
    const csv = join(dir, "bad.csv");
    writeFileSync(csv, "x,y,z\n1,2,3\n4,5,6\n7,NaN,9\n1,1,1\n");
    await expect(train(config({ name: "bad-data", dataset: { kind: "csv", path: csv } }), quiet)).rejects.toThrow(
      /bad\.csv:4: column 1 \("y"\): NaN/,
    );
    // .npy values are not checked by the reader: the trainer's finiteness check names the row.
    const values = new Float64Array([1, 2, 3, 4, 5, 6, 7, Infinity, 9, 1, 1, 1]);
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }";
    header = header.padEnd(64 - 10 - 1, " ") + "\n";
    const npy = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from("NUMPY"),
      Buffer.from([1, 0, header.length & 0xff, header.length >> 8]),
      Buffer.from(header, "latin1"),
      Buffer.from(values.buffer),
    ]);
    const npyPath = join(dir, "bad.npy");
    writeFileSync(npyPath, npy);
    const err = await train(config({ name: "bad-npy", dataset: { kind: "npy", path: npyPath } }), quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/Infinity at row 2, column 1/);
  });

  it("bad config fields are UserErrors naming the field", () => {
    const bad = (over: Record<string, unknown>, where: RegExp): void => {
      let e: unknown;
      try {
        config(over);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).where).toMatch(where);
    };
    bad({ epochs: 0 }, /^epochs$/);
    bad({ loss: { functional: "G" } }, /^loss\.functional$/);
    bad({ measure: { kind: "uniform", points: -3 } }, /^measure\.points$/);
    bad({ optimizer: { lr: "fast" } }, /^optimizer\.lr$/);
    bad({ loss: { curv: 1, sign: -1 } }, /^loss\.sign$/);
    bad({ lossy: 1 }, /^lossy$/);
    bad({ batch: 2.5 }, /^batch$/);
  });
});

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

describe("CLI exit codes", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = 0;
  });
  const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
    const program = new Command().exitOverride();
    registerTrain(program);
    let stderr = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    vi.spyOn(process, "exit").mockImplementation((code?: string | number | null) => {
      throw new Exit(Number(code ?? 0));
    });
    try {
      await program.parseAsync(["train", ...args], { from: "user" });
      return { code: Number(process.exitCode ?? 0), stderr };
    } catch (e) {
      if (e instanceof Exit) return { code: e.code, stderr };
      throw e;
    }
  };
  it("a bad config exits with 2 and names the field; a NaN loss exits with 3", async () => {
    const path = join(dir, "bad.train.json");
    writeFileSync(
      path,
      JSON.stringify({ name: "x", model: small, dataset: { kind: "swiss-roll" }, epochs: 1, measure: { kind: "sphere" } }, null, 2),
    );
    const r = await run([path, "--no-progress"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/measure\.kind/);
    expect(r.stderr).toMatch(/line \d+/);

    const nanPath = join(dir, "nan.train.json");
    writeFileSync(
      nanPath,
      JSON.stringify({
        name: "nan-cli",
        model: modelFile("exploding2", "exp(x)"),
        dataset: { kind: "swiss-roll", n: 200 },
        epochs: 2,
        batch: 32,
        optimizer: { lr: 1e6 },
        runsDir: join(dir, "runs"),
      }),
    );
    const r3 = await run([nanPath, "--no-progress"]);
    expect(r3.code).toBe(3);
    expect(r3.stderr).toMatch(/step \d+/);
    expect(loadTrainConfig(nanPath).config.name).toBe("nan-cli");
  });
});

/** Temporary files left behind by atomic writes in a run folder (there must be none). */
function readdirTmp(runDir: string): string[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir).filter((f) => f.endsWith(".tmp"));
}

describe("examples/*.train.json", () => {
  it("all validate, and their models load", async () => {
    const { readdirSync: ls } = await import("node:fs");
    const { loadTrainingModel } = await import("../src/runtime/train/session.js");
    const examples = join(import.meta.dirname, "..", "examples");
    const files = ls(examples).filter((f) => f.endsWith(".train.json"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const { config } = loadTrainConfig(join(examples, f));
      expect(loadTrainingModel(config).model.encoder, f).not.toBeNull();
    }
  });
});
