/**
 * The chart-fixing terms on the host (runtime/train/chart-terms.ts, the webgpu engine's share):
 * values on hand-computed cases and A = ∂L/∂G against central finite differences; the mixup codes
 * against the definition, wrap included.
 */
import { describe, expect, it } from "vitest";
import { chartTermsWithGradient, mixCodes } from "../src/runtime/train/chart-terms.js";
import { Rng } from "../src/util/random.js";

/** n random symmetric positive-definite d × d matrices, row-major. */
function randomMetrics(n: number, d: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const G = new Float64Array(n * d * d);
  for (let p = 0; p < n; p++) {
    const J = Array.from({ length: (d + 2) * d }, () => rng.uniform() * 2 - 1);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d + 2; k++) s += J[k * d + i]! * J[k * d + j]!;
        G[p * d * d + i * d + j] = s;
      }
  }
  return G;
}

describe("chart-fixing terms on the host", () => {
  it("an isometric decoder (every G = c·I) has isometry, conformality and volume variance 0; a conformal one has conformality 0 only", () => {
    const d = 2;
    const iso = Float64Array.from([2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2]);
    const v = chartTermsWithGradient(iso, 3, d, { isometry: 1, volume: 1, conformality: 1 }, 1e-9);
    expect(v.isometry).toBeCloseTo(0, 14);
    expect(v.conformality).toBeCloseTo(0, 14);
    expect(v.volumeVariance).toBeCloseTo(0, 14);
    // G_p = c_p·I with c = 1, 4: conformal, not isometric. S = (2 + 32)/2 = 17, T = (2 + 8)/2 = 5:
    // isometry = 2·17/25 − 1 = 0.36; ℓ = 0, log 4: variance (log 2)².
    const conformal = Float64Array.from([1, 0, 0, 1, 4, 0, 0, 4]);
    const c = chartTermsWithGradient(conformal, 2, d, { isometry: 1, volume: 1, conformality: 1 }, 1e-9);
    expect(c.conformality).toBeCloseTo(0, 14);
    expect(c.isometry).toBeCloseTo(0.36, 14);
    expect(c.volumeVariance).toBeCloseTo(Math.log(2) ** 2, 14);
  });

  for (const d of [2, 3]) {
    it(`∂L/∂G against central differences, d = ${d}, every term on and each alone`, () => {
      const n = 5;
      const G = randomMetrics(n, d, 7 + d);
      const weightsList = [
        { isometry: 0.7, volume: 0.3, conformality: 1.1 },
        { isometry: 1, volume: 0, conformality: 0 },
        { isometry: 0, volume: 1, conformality: 0 },
        { isometry: 0, volume: 0, conformality: 1 },
      ];
      for (const w of weightsList) {
        const loss = (g: Float64Array): number => {
          const v = chartTermsWithGradient(g, n, d, w, 1e-9);
          return w.isometry * v.isometry + w.volume * v.volumeVariance + w.conformality * v.conformality;
        };
        const A = chartTermsWithGradient(G, n, d, w, 1e-9).gbar;
        let worst = 0;
        let scale = 0;
        for (let k = 0; k < G.length; k++) {
          const g = Float64Array.from(G);
          const h = 1e-6;
          g[k] = G[k]! + h;
          const up = loss(g);
          g[k] = G[k]! - h;
          const fd = (up - loss(g)) / (2 * h);
          worst = Math.max(worst, Math.abs(A[k]! - fd));
          scale = Math.max(scale, Math.abs(fd));
        }
        expect(scale).toBeGreaterThan(1e-3);
        expect(worst / scale, JSON.stringify(w)).toBeLessThan(1e-5);
      }
    });
  }

  it("the volume term has no gradient at points with det G ≤ ε (the clamp)", () => {
    const G = Float64Array.from([1, 0, 0, 1, 1e-12, 0, 0, 1e-12]);
    const v = chartTermsWithGradient(G, 2, 2, { isometry: 0, volume: 1, conformality: 0 }, 1e-6);
    expect(Array.from(v.gbar.slice(4))).toEqual([0, 0, 0, 0]);
    expect(v.volumeVariance).toBeCloseTo((0.5 * Math.log(1e-6)) ** 2 / 4, 10);
  });

  it("mixup codes: z̃_p = α_p z_p + (1 − α_p) z_π(p), wrapped to (−π, π] on a torus", () => {
    const z = [0.5, 1, -2, 3, 3, -3];
    const alpha = [0.25, 1.5, -0.5];
    const perm = [1, 2, 0];
    const plain = mixCodes(z, alpha, perm, 3, 2, false);
    const expected = [
      0.25 * 0.5 + 0.75 * -2,
      0.25 * 1 + 0.75 * 3,
      1.5 * -2 - 0.5 * 3,
      1.5 * 3 - 0.5 * -3,
      -0.5 * 3 + 1.5 * 0.5,
      -0.5 * -3 + 1.5 * 1,
    ];
    plain.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    const wrapped = mixCodes(z, alpha, perm, 3, 2, true);
    wrapped.forEach((v, i) => {
      expect(v).toBeGreaterThan(-Math.PI - 1e-6);
      expect(v).toBeLessThanOrEqual(Math.PI + 1e-6);
      expect(Math.abs(Math.sin(v) - Math.sin(expected[i]!))).toBeLessThan(1e-6);
    });
  });
});
