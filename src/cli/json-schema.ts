/**
 * JSON Schemas (draft 2020-12) for model.json and the train config, generated from the zod schemas
 * that validate them, so editors can complete and check both files. They are shipped in the package
 * as schemas/model.schema.json and schemas/train-config.schema.json (`npm run schemas` writes them;
 * test/package.test.ts fails when they are stale). Files reference them with a "$schema" key.
 */
import { z } from "zod";
import { datasetSpecSchema } from "../runtime/data/index.js";
import { trainConfigSchema } from "../runtime/train/config.js";
import { rawModelSchema } from "../model/schema.js";

export const SCHEMA_BASE_URL = "https://unpkg.com/ricci-gen/schemas/";
export const SCHEMA_FILES = { model: "model.schema.json", trainConfig: "train-config.schema.json" } as const;

type JsonObject = Record<string, unknown>;

function toSchema(schema: z.ZodType, file: string, title: string, description: string): JsonObject {
  // io "input": fields with defaults are optional, as in the files people write.
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonObject;
  return { $schema: json["$schema"], $id: SCHEMA_BASE_URL + file, title, description, ...json };
}

export function modelJsonSchema(): JsonObject {
  return toSchema(
    rawModelSchema,
    SCHEMA_FILES.model,
    "ricci-gen model.json",
    "A decoder Ψ: R^d → R^D (an MLP or analytic formulas) and optionally an encoder; see docs/model-json.md.",
  );
}

export function trainConfigJsonSchema(): JsonObject {
  const schema = toSchema(
    trainConfigSchema,
    SCHEMA_FILES.trainConfig,
    "ricci-gen training config",
    "The config of `ricci-gen train`: model, dataset, loss, measure, optimiser, epochs, batch, seed, backend; see docs/run-folder.md.",
  );
  // The config validates the dataset in a second pass (by kind); its schema is the dataset spec's own.
  const properties = schema["properties"] as JsonObject;
  const dataset = z.toJSONSchema(datasetSpecSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonObject;
  delete dataset["$schema"];
  properties["dataset"] = dataset;
  return schema;
}

/** File name → text, as written into schemas/. */
export function schemaFiles(): Map<string, string> {
  return new Map([
    [SCHEMA_FILES.model, JSON.stringify(modelJsonSchema(), null, 2) + "\n"],
    [SCHEMA_FILES.trainConfig, JSON.stringify(trainConfigJsonSchema(), null, 2) + "\n"],
  ]);
}
