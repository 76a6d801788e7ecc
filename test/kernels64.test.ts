/** The float64 plan interpreter's kernels (used by `curvature`) against the emitted float64 TypeScript kernels. */
import { expect, it } from "vitest";
import { planKernels64 } from "../src/plan/kernels64.js";
import { analyticModel, compiled, mlpModel, named, paramsOf, points } from "./helpers/models.js";

it("metric, Γ, Ricci, J and R by both routes agree to 1e-10 relative", async () => {
  const names = ["jacobian", "metric", "christoffel", "ricci", "scalarCurvatureA", "scalarCurvatureB"];
  for (const model of [
    mlpModel({ d: 2, D: 4, hidden: [6, 5], activation: named("softplus"), torus: true }),
    analyticModel(["u", "v"], ["r*cos(u)*cos(v)", "r*cos(u)*sin(v)", "r*sin(u)"], { r: 2 }),
  ]) {
    const n = 5;
    const z = points(2, n, 4);
    const params = paramsOf(model);
    const emitted = (await compiled(model)).kernels;
    const interpreted = planKernels64(model, ["a", "b"], names);
    for (const name of names) {
      const want = emitted[name]!(params, z, n);
      const got = interpreted[name]!(params, z, n);
      for (const [field, values] of Object.entries(want)) {
        const scale = Math.max(1e-12, ...Array.from(values, Math.abs));
        values.forEach((v, i) => expect(Math.abs(got[field]![i]! - v) / scale, `${name}.${field}[${i}]`).toBeLessThan(1e-10));
      }
    }
  }
});
