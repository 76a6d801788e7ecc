/**
 * The fast test tier (`npm run test:fast`, under 2 minutes on 2 cores): the compiler's numerics
 * against closed forms and finite differences; the model schema and JSON Schemas; the CLI, the
 * packed package, run-folder locks and checkpoint guards; the bad-input sweep. Left to the full
 * suite (`npm test`): route A against route B for every activation and d ≤ 4 (the slowest compiler
 * test), the signal tests, trainings, WebGPU/lavapipe, the report in Chromium, the PyTorch peer,
 * the ONNX engine.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

// Spread, not mergeConfig: mergeConfig would append this list to the full suite's glob.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/closed-forms.test.ts",
      "test/finite-differences.test.ts",
      "test/ir.test.ts",
      "test/layers.test.ts",
      "test/model-schema.test.ts",
      "test/cli.test.ts",
      "test/bad-input-sweep.test.ts",
      "test/schemas.test.ts",
      "test/run-lock.test.ts",
      "test/package.test.ts",
    ],
  },
});
