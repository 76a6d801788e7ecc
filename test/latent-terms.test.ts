/**
 * The host's z-only terms (runtime/train/latent-terms.ts, used by the webgpu engine): values against
 * the tfjs forms (losses.ts uniformityTerm, the isomap term) and gradients against central finite
 * differences of the float64 values.
 */
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { uniformityTerm } from "../src/runtime/train/losses.js";
import { latentTerms, type LatentTermSettings } from "../src/runtime/train/latent-terms.js";

const n = 7;
const d = 2;
const z = Float64Array.from({ length: n * d }, (_, i) => Math.sin(1.7 * i + 0.3) * 2.5);
const anchor = Float64Array.from({ length: n * d }, (_, i) => Math.cos(0.9 * i) * 1.5);
const settings: LatentTermSettings = { uniformity: { weight: 0.7, moments: 3 }, isomap: { weight: 0.4 } };

const weighted = (s: LatentTermSettings, at: Float64Array): number => {
  const t = latentTerms(s, at, n, d, anchor);
  return s.uniformity.weight * t.uniformity + s.isomap.weight * t.isomap;
};

describe("z-only loss terms on the host", () => {
  it("match the tfjs uniformity term and the anchor's mean squared distance", () => {
    const t = latentTerms(settings, z, n, d, anchor);
    const ref = tf.tidy(() => uniformityTerm(tf.tensor2d(Float32Array.from(z), [n, d]), 3).dataSync()[0]!);
    expect(Math.abs(t.uniformity - ref) / ref).toBeLessThan(1e-5);
    let a = 0;
    for (let i = 0; i < n * d; i++) a += (z[i]! - anchor[i]!) ** 2;
    expect(t.isomap).toBeCloseTo(a / n, 12);
  });

  for (const [title, s] of [
    ["uniformity", { uniformity: { weight: 0.7, moments: 3 }, isomap: { weight: 0 } }],
    ["isomap anchor", { uniformity: { weight: 0, moments: 4 }, isomap: { weight: 0.4 } }],
    ["both", settings],
  ] as const)
    it(`${title}: λ-weighted ∂/∂z against central differences`, () => {
      const { zbar } = latentTerms(s, z, n, d, anchor);
      const h = 1e-6;
      for (let i = 0; i < n * d; i++) {
        const up = Float64Array.from(z);
        const down = Float64Array.from(z);
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        const fd = (weighted(s, up) - weighted(s, down)) / (2 * h);
        expect(Math.abs(zbar[i]! - fd), `z[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    });

  it("off: no value and a zero adjoint; the anchor is required when it is on", () => {
    const off = latentTerms({ uniformity: { weight: 0, moments: 4 }, isomap: { weight: 0 } }, z, n, d, null);
    expect([off.uniformity, off.isomap, Math.max(...off.zbar.map(Math.abs))]).toEqual([0, 0, 0]);
    expect(() => latentTerms(settings, z, n, d, null)).toThrow(/anchor/);
  });
});
