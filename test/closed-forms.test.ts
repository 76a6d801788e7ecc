/** Generated kernels on analytic decoders whose curvature is known in closed form, both routes. */
import { describe, expect, it } from "vitest";
import { analyticModel, compiled, points } from "./helpers/models.js";

const ROUTES = ["scalarCurvatureA", "scalarCurvatureB"] as const;
const NO_PARAMS = new Float64Array(0);

describe("closed forms", () => {
  it("sphere of radius r: R = 2/r²", async () => {
    for (const r of [0.5, 2, 7]) {
      const m = await compiled(analyticModel(["u", "v"], ["r*cos(u)*cos(v)", "r*cos(u)*sin(v)", "r*sin(u)"], { r }));
      const z = points(2, 20, 3, -1.2, 1.2);
      for (const k of ROUTES) {
        const { R } = m.kernels[k]!(NO_PARAMS, z, 20);
        for (const x of R!) expect(x).toBeCloseTo(2 / r ** 2, 10);
      }
    }
  });

  it("linear decoder (a plane in R⁴): R = 0, g constant", async () => {
    const m = await compiled(analyticModel(["u", "v"], ["u + 2*v", "3*u - v", "0.5*u", "v - 4"]));
    const z = points(2, 10, 4, -5, 5);
    for (const k of ROUTES) for (const x of m.kernels[k]!(NO_PARAMS, z, 10)["R"]!) expect(Math.abs(x)).toBeLessThan(1e-12);
    const g = m.kernels["metric"]!(NO_PARAMS, z, 10)["g"]!;
    expect(Array.from(g.subarray(0, 4))).toEqual([1 + 9 + 0.25, 2 - 3, 2 - 3, 4 + 1 + 1]);
  });

  it("flat plane in polar coordinates: R = 0 although Γ ≠ 0", async () => {
    const m = await compiled(analyticModel(["r", "t"], ["r*cos(t)", "r*sin(t)", "0*r"]));
    const z = points(2, 10, 5, 0.5, 3);
    for (const k of ROUTES) for (const x of m.kernels[k]!(NO_PARAMS, z, 10)["R"]!) expect(Math.abs(x)).toBeLessThan(1e-10);
    // Γ^r_tt = −r, Γ^t_rt = 1/r.
    const gamma = m.kernels["christoffel"]!(NO_PARAMS, z, 10)["gamma"]!;
    const r0 = z[0]!;
    expect(gamma[0 * 4 + 1 * 2 + 1]).toBeCloseTo(-r0, 12);
    expect(gamma[1 * 4 + 0 * 2 + 1]).toBeCloseTo(1 / r0, 12);
  });

  it("torus of revolution: R = 2 cos u / (b (a + b cos u))", async () => {
    const a = 3;
    const b = 1.25;
    const m = await compiled(analyticModel(["u", "v"], ["(a + b*cos(u))*cos(v)", "(a + b*cos(u))*sin(v)", "b*sin(u)"], { a, b }));
    const z = points(2, 30, 6, -Math.PI, Math.PI);
    for (const k of ROUTES) {
      const { R } = m.kernels[k]!(NO_PARAMS, z, 30);
      R!.forEach((x, i) => {
        const u = z[2 * i]!;
        expect(x).toBeCloseTo((2 * Math.cos(u)) / (b * (a + b * Math.cos(u))), 10);
      });
    }
  });

  it("d = 3: the 3-sphere of radius r in R⁴ has R = 6/r², and its Ricci tensor is (2/r²) g", async () => {
    const r = 1.5;
    const m = await compiled(
      analyticModel(["a", "b", "c"], ["r*cos(a)*cos(b)*cos(c)", "r*cos(a)*cos(b)*sin(c)", "r*cos(a)*sin(b)", "r*sin(a)"], { r }),
    );
    const z = points(3, 12, 7, -1, 1);
    for (const k of ROUTES) for (const x of m.kernels[k]!(NO_PARAMS, z, 12)["R"]!) expect(x).toBeCloseTo(6 / r ** 2, 9);
    const ricci = m.kernels["ricci"]!(NO_PARAMS, z, 12)["ricci"]!;
    const g = m.kernels["metric"]!(NO_PARAMS, z, 12)["g"]!;
    ricci.forEach((x, i) => expect(x).toBeCloseTo((2 / r ** 2) * g[i]!, 9));
  });

  it("d = 1: every curve is intrinsically flat", async () => {
    const m = await compiled(analyticModel(["t"], ["cos(t)", "sin(2*t)", "t^2"]));
    const z = points(1, 8, 8);
    for (const x of m.kernels["scalarCurvatureA"]!(NO_PARAMS, z, 8)["R"]!) expect(Math.abs(x)).toBeLessThan(1e-12);
  });
});
