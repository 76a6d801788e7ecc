/**
 * Every examples/*.train.json parses, names a model file that loads with an encoder and matches the
 * dataset's dimension where the dataset is synthetic (MNIST configs: parse and model only, the IDX
 * files are the user's).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrainConfig } from "../src/runtime/train/config.js";
import { loadTrainingModel } from "../src/runtime/train/session.js";

const EXAMPLES = join(import.meta.dirname, "..", "examples");
const configs = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".train.json"))
  .sort();

describe("examples/*.train.json", () => {
  it("include the baselines and the MNIST pair", () => {
    expect(configs).toEqual(
      expect.arrayContaining([
        "gaussians-baseline.train.json",
        "mnist.train.json",
        "mnist-baseline.train.json",
        "swiss-roll.train.json",
        "swiss-roll-baseline.train.json",
      ]),
    );
  });
  for (const file of configs) {
    it(file, () => {
      const { config } = loadTrainConfig(join(EXAMPLES, file));
      const { model } = loadTrainingModel(config);
      expect(model.encoder).not.toBeNull();
      const ds = config.dataset as { kind: string; D?: number };
      const dim = ds.kind === "swiss-roll" ? 3 : ds.kind === "gaussians" ? (ds.D ?? 784) : ds.kind === "mnist" ? 784 : model.outputDim;
      expect(model.outputDim).toBe(dim);
      const l = config.loss;
      const regularisers = [l.curv, l.isometry.weight, l.conformality.weight, l.volume.weight, l.isomap.weight];
      if (file.includes("baseline")) expect(regularisers.every((w) => w === 0)).toBe(true);
      else expect(regularisers.some((w) => w > 0)).toBe(true);
    });
  }
  it("pairs each baseline with a regularised config on the same data and model", () => {
    for (const file of configs.filter((f) => f.includes("-baseline."))) {
      const base = loadTrainConfig(join(EXAMPLES, file)).config;
      const curv = loadTrainConfig(join(EXAMPLES, file.replace("-baseline", ""))).config;
      expect(base.dataset, file).toEqual(curv.dataset);
      expect(base.modelPath, file).toBe(curv.modelPath);
      expect(base.seed, file).toBe(curv.seed);
    }
  });
});
