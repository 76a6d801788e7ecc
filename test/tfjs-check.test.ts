/** The generated float64 kernels against tfjs nested autograd (float32): J, g and R. */
import { describe, expect, it } from "vitest";
import { checkModel } from "../src/cli/check.js";
import { ALL_ACTIVATIONS, mlpModel, named, points } from "./helpers/models.js";

describe("generated kernels vs tfjs autograd, ≤ 1e-3 relative", () => {
  for (const activation of ALL_ACTIVATIONS) {
    const label = activation.kind === "named" ? activation.name : activation.formula;
    it(label, async () => {
      const model = mlpModel({ d: 2, D: 3, hidden: [8, 8], activation, seed: 5 });
      const rows = await checkModel(model, points(2, 12, 31), 12);
      for (const r of rows) expect(r.max, r.quantity).toBeLessThan(1e-3);
    });
  }
  it("torus embedding, d = 3", async () => {
    const model = mlpModel({ d: 3, D: 4, hidden: [8], activation: named("sin"), torus: true });
    const rows = await checkModel(model, points(3, 8, 32), 8);
    for (const r of rows) expect(r.max, r.quantity).toBeLessThan(1e-3);
  });
});
