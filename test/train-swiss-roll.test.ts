/**
 * A short Swiss-roll training (CI-sized: 2,000 points, 40 epochs, the 2-64-64-64-3 tanh decoder of
 * examples/swiss-roll.model.json, wasm backend): with λ_curv = 0.1 (∫R² dμ, route B, batch measure)
 * the test mean of R²√det g must be at least 10× lower than with λ_curv = 0, at a reconstruction
 * MSE within 2× of it. Measured when written (seeds 0–3): 450×–740,000× lower, MSE ratio 0.8–1.2.
 * And the unrolling recipe (examples/swiss-roll-unroll.train.json: Isomap anchor + isometry + ∫R²)
 * unrolls the roll where the baseline does not (onnx backend).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { train } from "../src/runtime/train/trainer.js";
import { evaluateRunFolder } from "../src/runtime/run-eval/index.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-swiss-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function trainRoll(name: string, loss: Record<string, unknown>, backend: string) {
  const config = parseTrainConfig(
    {
      name,
      model: "swiss-roll.model.json",
      dataset: { kind: "swiss-roll", n: 2000, seed: 0 },
      loss,
      measure: { kind: "batch" },
      optimizer: { lr: 0.005 },
      epochs: 40,
      batch: 64,
      seed: 0,
      backend,
      evalEvery: 0,
      runsDir: dir,
    },
    { baseDir: join(import.meta.dirname, "..", "examples") },
  );
  const { summary, runDir } = await train(config, { progress: false, threads: 1 });
  expect(summary.status).toBe("completed");
  return { test: summary.test!, runDir };
}

async function run(curv: number) {
  return (await trainRoll(`swiss-${curv}`, { recon: 1, curv, functional: "R2", route: "b" }, "wasm")).test;
}

it("λ_curv > 0 lowers the test mean R²√det g ≥ 10× at an MSE within 2×", async () => {
  const base = await run(0);
  const curv = await run(0.1);
  console.log(
    `swiss roll, λ=0: MSE ${base.mse.toPrecision(3)}, mean R²√det g ${base.meanR2SqrtDetG.toExponential(2)}; ` +
      `λ=0.1: MSE ${curv.mse.toPrecision(3)}, mean R²√det g ${curv.meanR2SqrtDetG.toExponential(2)} (${(base.meanR2SqrtDetG / curv.meanR2SqrtDetG).toFixed(0)}× lower)`,
  );
  expect(curv.meanR2SqrtDetG * 10).toBeLessThanOrEqual(base.meanR2SqrtDetG);
  expect(curv.mse).toBeLessThanOrEqual(2 * base.mse);
  expect(curv.degenerate).toBe(0);
}, 300_000);

it("the Isomap anchor with isometry and ∫R² unrolls the roll; the baseline does not", async () => {
  const scores = async (name: string, loss: Record<string, unknown>) => {
    const { runDir } = await trainRoll(name, loss, "onnx");
    const { evaluation } = await evaluateRunFolder(runDir, { geodesicPairs: 0, geodesicGridLines: 0 });
    return evaluation.metrics;
  };
  const base = await scores("roll-base", { recon: 1 });
  const unrolled = await scores("roll-unroll", {
    recon: 1,
    curv: 0.1,
    isometry: { weight: 1 },
    regularizerPoints: { eta: 1 },
    isomap: { weight: 1 },
  });
  const keys = ["rotation_spearman_t", "rotation_spearman_height", "knn_overlap_arclength", "test_r2", "mean_R2_sqrt_detg"];
  console.log(`swiss roll unrolling: ${keys.map((k) => `${k} ${base[k]?.toPrecision(3)} → ${unrolled[k]?.toPrecision(3)}`).join("; ")}`);
  expect(base["rotation_spearman_t"]!).toBeLessThan(0.6);
  expect(unrolled["rotation_spearman_t"]!).toBeGreaterThan(0.97);
  expect(unrolled["rotation_spearman_height"]!).toBeGreaterThan(0.9);
  expect(unrolled["knn_overlap_arclength"]!).toBeGreaterThan(0.85);
  expect(unrolled["mean_R2_sqrt_detg"]! * 10).toBeLessThan(base["mean_R2_sqrt_detg"]!);
}, 300_000);
