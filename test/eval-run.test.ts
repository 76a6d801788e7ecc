/**
 * Full evaluation of run folders (src/runtime/run-eval): the trainer writes eval.json + latent.json at
 * the end, `evaluateRunFolder` reproduces them from the checkpoint, every metric is finite where it
 * applies (Swiss roll, Gaussian clouds, d = 3), and missing pieces are UserErrors naming them.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRunData } from "../src/report/load-run.js";
import { finiteDifferenceJets } from "../src/runtime/eval/index.js";
import { metricFn, metricJets } from "../src/runtime/run-eval/geodesics.js";
import {
  checkRunFolder,
  evaluateRunFolder,
  openRun,
  readEvaluation,
  type LatentExport,
  type RunEvaluation,
} from "../src/runtime/run-eval/index.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { train } from "../src/runtime/train/trainer.js";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modelFile(name: string, d: number, D: number): string {
  const path = join(dir, `${name}.model.json`);
  writeFileSync(
    path,
    JSON.stringify({
      name,
      latentDim: d,
      outputDim: D,
      decoder: {
        type: "mlp",
        layers: [
          { units: 16, activation: "tanh" },
          { units: 16, activation: "tanh" },
          { units: D, activation: "linear" },
        ],
      },
      encoder: {
        layers: [
          { units: 16, activation: "tanh" },
          { units: d, activation: "linear" },
        ],
      },
      weights: { seed: 3 },
    }),
  );
  return path;
}

async function trainRun(name: string, over: Record<string, unknown>, d = 2, D = 3, evaluate = true) {
  const config = parseTrainConfig(
    {
      name,
      model: modelFile(name, d, D),
      dataset: { kind: "swiss-roll", n: 400, seed: 1 },
      loss: { curv: 0.05 },
      epochs: 2,
      batch: 40,
      seed: 7,
      evalEvery: 0,
      backend: "cpu",
      runsDir: join(dir, "runs"),
      ...over,
    },
    { baseDir: dir },
  );
  return train(config, { progress: false, evaluate });
}

const finite = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);

/** The decoder-jet g and ∂g used by the geodesics against the metric kernel and its central differences. */
async function checkMetricJets(runDir: string): Promise<void> {
  const run = await openRun(runDir, { backend: "cpu" });
  try {
    const d = run.session.latentDim;
    const m = 6;
    const z = Float64Array.from({ length: m * d }, (_, i) => 0.8 * Math.sin(1.3 * i + 0.2));
    const exact = await metricJets(run.session)(z, m);
    const fd = await finiteDifferenceJets(metricFn(run.session), d, 1e-2)(z, m);
    const scale = (a: Float64Array): number => Math.max(...a.map(Math.abs));
    for (let i = 0; i < exact.g.length; i++) expect(Math.abs(exact.g[i]! - fd.g[i]!)).toBeLessThan(1e-5 * scale(fd.g));
    // Central differences in float32 with h = 1e-2: agreement to about 1 % of the largest entry.
    for (let i = 0; i < exact.dg.length; i++) expect(Math.abs(exact.dg[i]! - fd.dg[i]!)).toBeLessThan(1e-2 * scale(fd.dg));
    expect(scale(exact.dg)).toBeGreaterThan(0);
  } finally {
    run.dispose();
  }
}

function read(runDir: string): { evaluation: RunEvaluation; latent: LatentExport } {
  const r = readEvaluation(runDir);
  expect(r).not.toBeNull();
  expect(r!.latent).not.toBeNull();
  return { evaluation: r!.evaluation, latent: r!.latent! };
}

describe("Swiss roll run", () => {
  let runDir = "";
  it("training ends by writing eval.json and latent.json with every metric finite", async () => {
    const { runDir: rd, summary } = await trainRun("roll", {});
    runDir = rd;
    expect(summary.status).toBe("completed");
    const { evaluation: e, latent } = read(runDir);
    expect(e.format).toBe("ricci-gen-eval");
    expect(e.step).toBe(summary.steps);
    expect(e.testPoints).toBe(80);
    expect(e.evaluatedPoints).toBe(80);
    for (const k of [
      "test_mse",
      "test_r2",
      "test_r2_pooled",
      "mean_R2_sqrt_detg",
      "median_R2_sqrt_detg",
      "mean_abs_R",
      "median_abs_R",
      "q95_abs_R",
      "mean_sqrt_detg",
      "degenerate_share",
      "condition_number",
      "mean_condition_number",
      "isometry_distortion",
      "grid_mean_R2_sqrt_detg",
      "grid_median_R2_sqrt_detg",
      "grid_mean_abs_R",
      "integral_R2_dmu",
      "trustworthiness",
      "continuity",
      "tearing",
      "spearman_t",
      "spearman_height",
      "rotation_spearman_t",
      "rotation_spearman_height",
      "unroll_score",
      "knn_overlap_t_height",
      "knn_overlap_arclength",
      "geodesic_ratio",
    ])
      expect(finite(e.metrics[k]), k).toBe(true);
    // Same numbers as the trainer's own float32 test metrics.
    expect(e.reconstruction.mse).toBeCloseTo(summary.test!.mse, 5);
    expect(e.curvature.test.meanR2SqrtDetG / summary.test!.meanR2SqrtDetG).toBeCloseTo(1, 4);
    expect(e.reconstruction.r2).toBeLessThan(1);
    // Pooled variance ≥ per-feature variance, so the research's R² is never below ours.
    expect(e.reconstruction.r2Pooled).toBeGreaterThanOrEqual(e.reconstruction.r2 - 1e-12);
    expect(e.curvature.test.medianR2SqrtDetG).toBe(e.curvature.test.R2SqrtDetG.median);
    expect(e.conformality.meanConditionNumber).toBeGreaterThanOrEqual(1);
    expect(e.conformality.isometryDistortion).toBeGreaterThanOrEqual(0);
    // The goal rotation's scores are bounded by the best direction for each coordinate on its own.
    const rot = e.swissRoll!.rotation!;
    expect(rot.goal.t).toBeLessThanOrEqual(e.swissRoll!.t + 1e-12);
    expect(rot.goal.height).toBeLessThanOrEqual(e.swissRoll!.height + 1e-12);
    expect(rot.atBestT.t).toBeCloseTo(e.swissRoll!.t, 2);
    expect(e.swissRoll!.knnOverlap).toMatchObject({ k: 10 });
    expect(e.geodesicGrid).toMatchObject({ lines: 11, points: 20 });
    expect(e.geodesicGrid!.ratios).toHaveLength(11);
    // Lines whose exp-map shots miss their ends are left out (null) and counted; the rest are ratios.
    const kept = e.geodesicGrid!.ratios.filter((r) => r !== null);
    expect(e.geodesicGrid!.failedLines).toBe(11 - kept.length);
    for (const r of kept) expect(r).toBeGreaterThan(0.3);
    for (const r of kept) expect(r).toBeLessThan(1.1);
    expect(e.geodesicGrid!.metricPoints).toBeGreaterThan(0);
    expect(e.neighbourhood).toMatchObject({ k: 10, tearing: { factor: 3, k: 10 } });
    expect(e.metrics["trustworthiness"]).toBeGreaterThan(0.5);
    expect(e.metrics["geodesic_ratio"]).toBeGreaterThan(0.5);
    expect(e.metrics["geodesic_ratio"]).toBeLessThanOrEqual(1 + 1e-6);
    expect(e.curvature.grid).toMatchObject({ resolution: 48, boxSource: "test-codes", n: 48 * 48 });
    expect(e.curvature.test.absR.q95).toBeGreaterThanOrEqual(e.curvature.test.absR.median);
    expect(e.classes).toBeNull();
    // Pictures: codes with t and height, three 48 × 48 fields.
    expect(latent.z).toHaveLength(80 * 2);
    expect(latent.colours.map((c) => c.name)).toEqual(["t", "height"]);
    expect(latent.fields.map((f) => f.key)).toEqual(["R", "sqrtDetG", "R2SqrtDetG"]);
    for (const f of latent.fields) expect(f.values).toHaveLength(48 * 48);
  }, 120_000);

  it("the geodesics' exact ∂g (second-order decoder jets) matches finite differences of the metric kernel", async () => {
    await checkMetricJets(runDir);
  }, 60_000);

  it("`evaluateRunFolder` reproduces it from the checkpoint", async () => {
    const before = read(runDir).evaluation;
    const again = await evaluateRunFolder(runDir, { backend: "cpu" });
    for (const [k, v] of Object.entries(before.metrics)) {
      if (typeof v === "number") expect(again.evaluation.metrics[k], k).toBeCloseTo(v, 6);
    }
    expect(read(runDir).evaluation.createdAt).toBe(again.evaluation.createdAt);
  }, 120_000);

  it("loads into RunData with metrics, pictures, curves and every file as a source", async () => {
    const run = await loadRunData(runDir);
    expect(run.name).toBe("roll");
    expect(run.config["resolved"]).toBeUndefined();
    expect(finite(run.metrics["mean_R2_sqrt_detg"])).toBe(true);
    expect(finite(run.metrics["train_seconds"])).toBe(true);
    expect(run.latent?.colours).toHaveLength(2);
    expect(run.fields?.map((f) => f.key)).toEqual(["R", "sqrtDetG", "R2SqrtDetG"]);
    expect(run.curves!.length).toBeGreaterThan(10);
    expect(Object.keys(run.curves![0]!)).toEqual(expect.arrayContaining(["step", "loss", "recon", "curv"]));
    for (const f of ["config.json", "checkpoint.json", "eval.json", "latent.json", "metrics.jsonl", "data.json"])
      expect(
        run.sources!.some((s) => s.endsWith(f)),
        f,
      ).toBe(true);
  }, 120_000);

  it("recomputes a missing or stale eval.json when loading for a report", async () => {
    rmSync(join(runDir, "eval.json"));
    const run = await loadRunData(runDir, { backend: "cpu" });
    expect(existsSync(join(runDir, "eval.json"))).toBe(true);
    expect(finite(run.metrics["tearing"])).toBe(true);
    const evalPath = join(runDir, "eval.json");
    const stale = JSON.parse(readFileSync(evalPath, "utf8")) as RunEvaluation;
    writeFileSync(evalPath, JSON.stringify({ ...stale, step: stale.step - 1, metrics: { test_mse: 123 } }));
    const noEval = await loadRunData(runDir, { evaluate: false });
    expect(noEval.notes!.join(" ")).toMatch(/eval\.json is from step/);
    const fresh = await loadRunData(runDir, { backend: "cpu" });
    expect(fresh.metrics["test_mse"]).not.toBe(123);
  }, 120_000);
});

describe("Gaussian clouds run (labels and in-plane truth)", () => {
  it("has per-cloud condition numbers, eigenvalue ratios, Procrustes errors and the k-means F-measure", async () => {
    const { runDir } = await trainRun(
      "clouds",
      { dataset: { kind: "gaussians", k: 3, D: 12, n: 450, shift: 2, seed: 0 }, epochs: 1 },
      2,
      12,
    );
    const { evaluation: e, latent } = read(runDir);
    expect(e.classes).not.toBeNull();
    expect(e.classes!.clouds.map((c) => c.label)).toEqual([0, 1, 2]);
    for (const c of e.classes!.clouds) {
      expect(finite(c.medianConditionNumber)).toBe(true);
      expect(c.medianConditionNumber).toBeGreaterThanOrEqual(1);
      expect(c.meanConditionNumber).toBeGreaterThanOrEqual(1);
      expect(c.maxConditionNumber).toBeGreaterThanOrEqual(c.meanConditionNumber);
      expect(c.latentEigenRatio).toBeGreaterThan(0);
      expect(c.latentEigenRatio).toBeLessThanOrEqual(1);
      expect(finite(c.procrustesError)).toBe(true);
    }
    for (const k of [
      "cloud_condition_number",
      "eigen_ratio",
      "cloud_eigen_ratio_min",
      "cloud_mean_condition_number_max",
      "procrustes_error",
      "kmeans_f1_class_max",
      "kmeans_f_pairCounting",
    ])
      expect(finite(e.metrics[k]), k).toBe(true);
    expect(e.classes!.minEigenRatio).toBe(Math.min(...e.classes!.clouds.map((c) => c.latentEigenRatio)));
    // 270 test codes (< 300): every draw clusters all of them, so the draws differ only by k-means seeding.
    expect(e.classes!.pairCounting).toMatchObject({ codes: 270, draws: 10, k: 3, torus: false });
    expect(e.classes!.pairCounting.values).toHaveLength(10);
    expect(e.classes!.pairCounting.mean).toBeGreaterThan(0);
    expect(e.classes!.pairCounting.mean).toBeLessThanOrEqual(1);
    expect(e.swissRoll).toBeNull();
    expect(latent.colours).toEqual([expect.objectContaining({ kind: "categorical", name: "cloud" })]);
  }, 120_000);
});

describe("latent dimension 3", () => {
  it("has grid statistics on a 16³ grid but no heatmap fields, and says so", async () => {
    const { runDir } = await trainRun("d3", { epochs: 1, loss: { curv: 0 } }, 3, 3);
    const { evaluation: e, latent } = read(runDir);
    expect(e.latent.dim).toBe(3);
    expect(e.curvature.grid).toMatchObject({ resolution: 16, n: 4096 });
    expect(latent.fields).toEqual([]);
    expect(latent.z).toHaveLength(80 * 3);
    expect(e.notes.join(" ")).toMatch(/no heatmaps/);
    expect(finite(e.metrics["spearman_t"])).toBe(true);
    expect(finite(e.metrics["geodesic_ratio"])).toBe(true);
    // The research's grid estimator and the plane rotations are 2-d only.
    expect(e.geodesicGrid).toBeNull();
    expect(e.notes.join(" ")).toMatch(/no geodesic grid ratio/);
    expect(e.swissRoll!.rotation).toBeNull();
    expect(finite(e.metrics["knn_overlap_t_height"])).toBe(true);
    await checkMetricJets(runDir); // d = 3: the jet column order of the second derivatives
  }, 180_000);
});

describe("train({ evaluate: false })", () => {
  it("writes no evaluation; `evaluateRunFolder` adds it later", async () => {
    const { runDir } = await trainRun("later", { epochs: 1 }, 2, 3, false);
    expect(existsSync(join(runDir, "eval.json"))).toBe(false);
    expect(readEvaluation(runDir)).toBeNull();
    const r = await evaluateRunFolder(runDir);
    expect(r.evaluation.backend).toBe("cpu"); // the run trained on cpu
    expect(read(runDir).evaluation.step).toBe(r.evaluation.step);
  }, 120_000);
});

describe("missing pieces are UserErrors naming them", () => {
  it("a missing folder, a non-run folder and a missing checkpoint", () => {
    expect(() => checkRunFolder(join(dir, "nope"))).toThrow(UserError);
    expect(() => checkRunFolder(join(dir, "nope"))).toThrow(/no such run folder.*ricci-gen train/);
    expect(() => checkRunFolder(join(dir, "runs"))).toThrow(/not a run folder but holds run folders: give one of .*roll/);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => checkRunFolder(empty)).toThrow(/missing config\.json, data\.json, checkpoint\.json: this is not a run folder/);
    writeFileSync(join(empty, "config.json"), "{}");
    writeFileSync(join(empty, "data.json"), "{}");
    expect(() => checkRunFolder(empty)).toThrow(/missing checkpoint\.json: .*--resume/);
  });
});
