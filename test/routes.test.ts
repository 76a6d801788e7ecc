/** Route A (intrinsic, ∇³Ψ) and route B (Gauss equation, ∇²Ψ) share only the jets: they must agree. */
import { describe, expect, it } from "vitest";
import { ALL_ACTIVATIONS, compiled, mlpModel, named, paramsOf, points } from "./helpers/models.js";
import type { Model } from "../src/model/types.js";

/**
 * The scale R is computed at: Σ |g^{ij}g^{kl} − g^{ik}g^{jl}| |⟨∂_ijΨ, ∂_klΨ⟩|, from J and ∂²Ψ in plain
 * loops. R is a cancelling sum of such terms (and each ⟨n_ij, n_kl⟩ cancels the tangential part of
 * ⟨∂_ijΨ, ∂_klΨ⟩), so rounding error is relative to this scale, not to |R|, which can be far smaller.
 */
function termScale(J: Float64Array, H: Float64Array, D: number, d: number): number {
  const pairs: [number, number][] = [];
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) pairs.push([i, j]);
  const col = (i: number, j: number) => pairs.findIndex(([a, b]) => a === Math.min(i, j) && b === Math.max(i, j));
  const g = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let k = 0; k < D; k++) s += J[k * d + i]! * J[k * d + j]!;
      return s;
    }),
  );
  // g⁻¹ by Gauss–Jordan.
  const a = g.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < d; c++) {
    const piv = a[c]![c]!;
    a[c] = a[c]!.map((x) => x / piv);
    for (let r = 0; r < d; r++) if (r !== c) a[r] = a[r]!.map((x, k) => x - a[r]![c]! * a[c]![k]!);
  }
  const ginv = a.map((row) => row.slice(d));
  const second = (i: number, j: number): number[] => Array.from({ length: D }, (_, k) => H[k * pairs.length + col(i, j)]!);
  let scale = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      for (let k = 0; k < d; k++)
        for (let l = 0; l < d; l++) {
          const hij = second(i, j);
          const hkl = second(k, l);
          const dot = hij.reduce((s, x, q) => s + x * hkl[q]!, 0);
          scale += Math.abs(ginv[i]![j]! * ginv[k]![l]! - ginv[i]![k]! * ginv[j]![l]!) * Math.abs(dot);
        }
  return scale;
}

async function maxRouteDisagreement(model: Model, n: number): Promise<{ rel: number; detMin: number }> {
  const m = await compiled(model);
  const p = paramsOf(model);
  const d = model.latentDim;
  const D = model.outputDim;
  const z = points(d, n, 21, -1, 1);
  const a = m.kernels["scalarCurvatureA"]!(p, z, n);
  const b = m.kernels["scalarCurvatureB"]!(p, z, n);
  const J = m.kernels["jacobian"]!(p, z, n)["jacobian"]!;
  const H = m.kernels["hessian"]!(p, z, n)["hessian"]!;
  const nh = (d * (d + 1)) / 2;
  let rel = 0;
  a["R"]!.forEach((x, i) => {
    const scale = termScale(J.subarray(i * D * d, (i + 1) * D * d), H.subarray(i * D * nh, (i + 1) * D * nh), D, d);
    rel = Math.max(rel, Math.abs(x - b["R"]![i]!) / Math.max(Math.abs(b["R"]![i]!), scale));
  });
  return { rel, detMin: Math.min(...a["detg"]!) };
}

describe("route A agrees with route B to 1e-9 in float64", () => {
  for (const activation of ALL_ACTIVATIONS) {
    const label = activation.kind === "named" ? activation.name : activation.formula;
    it(`${label}, d = 2`, async () => {
      const { rel, detMin } = await maxRouteDisagreement(mlpModel({ d: 2, D: 4, hidden: [8, 8], activation, seed: 3 }), 25);
      expect(detMin).toBeGreaterThan(1e-8);
      expect(rel).toBeLessThan(1e-9);
    });
    it(`${label}, d = 3`, async () => {
      const { rel, detMin } = await maxRouteDisagreement(mlpModel({ d: 3, D: 5, hidden: [8], activation, seed: 4 }), 10);
      expect(detMin).toBeGreaterThan(1e-8);
      expect(rel).toBeLessThan(1e-9);
    });
  }
  it("torus embedding, sin, d = 2", async () => {
    const { rel } = await maxRouteDisagreement(mlpModel({ d: 2, D: 6, hidden: [10, 10], activation: named("sin"), torus: true }), 25);
    expect(rel).toBeLessThan(1e-9);
  });
  it("d = 4 (LDLᵀ inverse)", async () => {
    const { rel } = await maxRouteDisagreement(mlpModel({ d: 4, D: 6, hidden: [8], activation: named("tanh") }), 5);
    expect(rel).toBeLessThan(1e-9);
  });
});
