/**
 * The JSON Schemas shipped in schemas/: generated from the zod schemas and up to date (run
 * `npm run schemas` when this fails); a "$schema" key is accepted in model.json and train configs
 * without changing the model's sourceHash or the run's config hash; the examples reference them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaFiles } from "../src/cli/json-schema.js";
import { parseModel } from "../src/model/schema.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";

const ROOT = join(import.meta.dirname, "..");

describe("JSON Schemas", () => {
  it("schemas/*.schema.json are what the zod schemas generate (npm run schemas)", () => {
    for (const [name, text] of schemaFiles())
      expect(readFileSync(join(ROOT, "schemas", name), "utf8"), `schemas/${name} is stale: npm run schemas`).toBe(text);
  });

  it("describe the files: required fields, enums and the dataset kinds", () => {
    const files = schemaFiles();
    const model = JSON.parse(files.get("model.schema.json")!) as { required: string[]; properties: Record<string, unknown> };
    expect(model.required).toEqual(expect.arrayContaining(["name", "outputDim", "decoder"]));
    expect(Object.keys(model.properties)).toContain("$schema");
    const config = JSON.parse(files.get("train-config.schema.json")!) as {
      required: string[];
      properties: { dataset: { oneOf: { properties: { kind: { const: string } } }[] } };
    };
    expect(config.required).toEqual(expect.arrayContaining(["name", "model", "dataset", "epochs"]));
    const kinds = config.properties.dataset.oneOf.map((o) => o.properties.kind.const);
    expect(kinds).toEqual(expect.arrayContaining(["swiss-roll", "gaussians", "mnist", "csv", "npy"]));
  });

  it('accepts "$schema" in model.json, with the same sourceHash as without it', () => {
    const raw = {
      name: "s",
      latentDim: 2,
      outputDim: 3,
      decoder: {
        type: "mlp",
        layers: [
          { units: 4, activation: "tanh" },
          { units: 3, activation: "linear" },
        ],
      },
    };
    const plain = parseModel(raw, { baseDir: ROOT, sourceText: "" });
    const withSchema = parseModel({ $schema: "../schemas/model.schema.json", ...raw }, { baseDir: ROOT, sourceText: "" });
    expect(withSchema.sourceHash).toBe(plain.sourceHash);
    expect(() => parseModel({ $schema: 3, ...raw }, { baseDir: ROOT, sourceText: "" })).toThrow(/\$schema/);
  });

  it('accepts "$schema" in a train config, with the same config hash; runsDir is not part of the hash either', () => {
    const raw = { name: "r", model: "m.json", dataset: { kind: "swiss-roll", n: 100 }, epochs: 1 };
    const base = parseTrainConfig(raw, { baseDir: ROOT });
    expect(parseTrainConfig({ $schema: "../schemas/train-config.schema.json", ...raw }, { baseDir: ROOT }).hash).toBe(base.hash);
    expect(parseTrainConfig({ ...raw, runsDir: "./elsewhere/../runs" }, { baseDir: ROOT }).hash).toBe(base.hash);
    // Defaults written out (as config.json stores them) hash like the short form.
    expect(parseTrainConfig({ ...raw, batch: 128, seed: 0 }, { baseDir: ROOT }).hash).toBe(base.hash);
    expect(parseTrainConfig({ ...raw, batch: 64 }, { baseDir: ROOT }).hash).not.toBe(base.hash);
  });

  it("every example references its schema", () => {
    for (const f of readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"))) {
      const json = JSON.parse(readFileSync(join(ROOT, "examples", f), "utf8")) as { $schema?: string };
      expect(json.$schema, f).toBe(f.endsWith(".model.json") ? "../schemas/model.schema.json" : "../schemas/train-config.schema.json");
    }
  });
});
