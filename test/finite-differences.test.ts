/** Each derivative order of the generated kernels against central differences of the order below. */
import { describe, expect, it } from "vitest";
import { jetColumns } from "../src/ir/jets.js";
import { ALL_ACTIVATIONS, compiled, mlpModel, named, paramsOf, points } from "./helpers/models.js";
import type { KernelModule } from "../src/runtime/kernel-module.js";
import type { Model } from "../src/model/types.js";

/** ∂/∂z_i of kernel `name`'s field at one point, by central differences (per output entry). */
function centralDiff(m: KernelModule, params: Float64Array, name: string, z: Float64Array, i: number, h: number): Float64Array {
  const plus = Float64Array.from(z);
  const minus = Float64Array.from(z);
  plus[i]! += h;
  minus[i]! -= h;
  const fp = Object.values(m.kernels[name]!(params, plus, 1))[0]!;
  const fm = Object.values(m.kernels[name]!(params, minus, 1))[0]!;
  return fp.map((v, k) => (v - fm[k]!) / (2 * h));
}

async function checkOrders(model: Model): Promise<void> {
  const m = await compiled(model);
  const p = paramsOf(model);
  const d = model.latentDim;
  const D = model.outputDim;
  const z = points(d, 1, 11, -0.8, 0.8);
  const h = 1e-5;
  const J = m.kernels["jacobian"]!(p, z, 1)["jacobian"]!;
  const H = m.kernels["hessian"]!(p, z, 1)["hessian"]!;
  const T = m.kernels["third"]!(p, z, 1)["third"]!;
  const cols = (order: number) => jetColumns(d, order).filter((c) => c.length === order);
  const check = (lower: string, higher: Float64Array, order: number) => {
    const hi = cols(order);
    const lo = cols(order - 1);
    const loIndex = new Map(lo.map((c, j) => [c.join(","), j]));
    for (let i = 0; i < d; i++) {
      const fd = centralDiff(m, p, lower, z, i, h);
      hi.forEach((alpha, j) => {
        // ∂^α = ∂_i ∂^{α∖i} for any i in α.
        if (!alpha.includes(i)) return;
        const rest = [...alpha];
        rest.splice(rest.indexOf(i), 1);
        const jl = loIndex.get(rest.join(","))!;
        for (let k = 0; k < D; k++) {
          const want = fd[k * lo.length + jl]!;
          const got = higher[k * hi.length + j]!;
          expect(Math.abs(got - want)).toBeLessThan(1e-6 * (1 + Math.abs(want)));
        }
      });
    }
  };
  // Order 1 against Ψ itself.
  for (let i = 0; i < d; i++) {
    const fd = centralDiff(m, p, "psi", z, i, h);
    for (let k = 0; k < D; k++) expect(Math.abs(J[k * d + i]! - fd[k]!)).toBeLessThan(1e-6 * (1 + Math.abs(fd[k]!)));
  }
  check("jacobian", H, 2);
  check("hessian", T, 3);
}

describe("derivatives against central finite differences", () => {
  for (const activation of ALL_ACTIVATIONS) {
    const label = activation.kind === "named" ? activation.name : activation.formula;
    it(`${label} MLP, d = 2`, async () => checkOrders(mlpModel({ d: 2, D: 3, hidden: [6, 5], activation })));
  }
  it("tanh MLP with the torus embedding, d = 2", async () =>
    checkOrders(mlpModel({ d: 2, D: 4, hidden: [7], activation: named("tanh"), torus: true })));
  it("sin MLP, d = 3", async () => checkOrders(mlpModel({ d: 3, D: 5, hidden: [6, 6], activation: named("sin") })));
});
