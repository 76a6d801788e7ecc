import { describe, expect, it } from "vitest";
import { Rng } from "../src/util/random.js";
import { ranksInRow } from "../src/runtime/eval/knn.js";
import {
  conditionNumber,
  fMeasure,
  gaussianCloudMetrics,
  geodesicLengthRatio,
  kmeans,
  knn,
  mse,
  neighbourhoodPreservation,
  procrustes,
  r2,
  spearman,
  summarize,
  svd,
  swissRollCorrelation,
  symmetricEigen,
  tearing,
  type MetricFn,
} from "../src/runtime/eval/index.js";

const randn = (rng: Rng, m: number): Float64Array => Float64Array.from({ length: m }, () => rng.normal());

/** Rows of x (n×2) mapped to s·R(θ)x + t. */
function similarity2(x: Float64Array, n: number, theta: number, s: number, t: [number, number], reflect = false) {
  const c = Math.cos(theta);
  const sn = Math.sin(theta);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = x[2 * i]!;
    const b = reflect ? -x[2 * i + 1]! : x[2 * i + 1]!;
    out[2 * i] = s * (c * a - sn * b) + t[0];
    out[2 * i + 1] = s * (sn * a + c * b) + t[1];
  }
  return out;
}

describe("reconstruction", () => {
  it("mse and r2 on hand cases", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]); // 3×2, per-feature means (2, 3), variance 8/3
    expect(mse(x, x, 3, 2)).toBe(0);
    expect(r2(x, x, 3, 2)).toBe(1);
    expect(r2(x, Float64Array.from([2, 3, 2, 3, 2, 3]), 3, 2)).toBeCloseTo(0, 14);
    const off = x.map((v) => v + 1);
    expect(mse(x, off, 3, 2)).toBe(1);
    expect(r2(x, off, 3, 2)).toBeCloseTo(1 - 3 / 8, 14);
  });
});

describe("rank correlation", () => {
  it("Spearman of a monotone transform is 1, of a decreasing one −1", () => {
    const x = randn(new Rng(1), 500);
    expect(
      spearman(
        x,
        x.map((v) => Math.exp(3 * v) + v ** 3),
      ),
    ).toBeCloseTo(1, 14);
    expect(
      spearman(
        x,
        x.map((v) => -Math.atan(v)),
      ),
    ).toBeCloseTo(-1, 14);
  });

  it("averages ties", () => {
    // ranks (1, 2.5, 2.5, 4) vs (1, 2, 3, 4): ρ = 4.5 / √(4.5·5)
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 14);
  });

  it("finds Swiss roll coordinates in a rotated, warped latent", () => {
    const rng = new Rng(2);
    const n = 400;
    const t = Float64Array.from({ length: n }, () => 1.5 * Math.PI * (1 + 2 * rng.uniform()));
    const height = Float64Array.from({ length: n }, () => 21 * rng.uniform());
    const flat = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      flat[2 * i] = t[i]!;
      flat[2 * i + 1] = height[i]!;
    }
    const z = similarity2(flat, n, (30 * Math.PI) / 180, 0.1, [5, -2]);
    const c = swissRollCorrelation(z, n, 2, t, height);
    expect(c.t).toBeCloseTo(1, 12);
    expect(c.height).toBeCloseTo(1, 12);
    const noise = swissRollCorrelation(randn(rng, 2 * n), n, 2, t, height);
    expect(noise.t).toBeLessThan(0.3);
    // d ≠ 2: only the coordinates themselves.
    const z3 = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) z3.set([rng.normal(), Math.log(t[i]!), -height[i]!], 3 * i);
    const c3 = swissRollCorrelation(z3, n, 3, t, height);
    expect(c3.t).toBeCloseTo(1, 12);
    expect(c3.height).toBeCloseTo(1, 12);
  });
});

describe("neighbourhood metrics", () => {
  const n = 300;
  const x = randn(new Rng(3), 3 * n);

  it("knn excludes the point itself and sorts by distance", () => {
    const { index, dist } = knn(x, n, 3, 5);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < 5; r++) expect(index[i * 5 + r]).not.toBe(i);
      for (let r = 1; r < 5; r++) expect(dist[i * 5 + r]!).toBeGreaterThanOrEqual(dist[i * 5 + r - 1]!);
    }
  });

  it("ranksInRow matches counting, ties broken by index", () => {
    const rng = new Rng(9);
    const row = Float64Array.from({ length: 200 }, () => rng.int(50)); // many ties
    const js = [3, 17, 0, 199, 42, 43, 120];
    const naive = js.map((j) => {
      let r = 1;
      row.forEach((v, l) => {
        if (l !== 5 && (v < row[j]! || (v === row[j] && l < j))) r++;
      });
      return r;
    });
    expect(ranksInRow(row, 5, js)).toEqual(naive);
  });

  it("trustworthiness = continuity = 1 for a rotation, < 1 for a random permutation", () => {
    // Rotation about an oblique axis plus a shift: an isometry of R³.
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    const z = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const [a, b, e] = [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
      const u = c * a - s * b;
      const v = s * a + c * b;
      z.set([u + 4, c * v - s * e, s * v + c * e - 1], 3 * i);
    }
    const iso = neighbourhoodPreservation(x, z, n, 3, 3);
    expect(iso.trustworthiness).toBeCloseTo(1, 12);
    expect(iso.continuity).toBeCloseTo(1, 12);

    const rng = new Rng(4);
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const shuffled = new Float64Array(2 * n);
    perm.forEach((p, i) => shuffled.set(x.subarray(3 * p, 3 * p + 2), 2 * i));
    const rand = neighbourhoodPreservation(x, shuffled, n, 3, 2);
    expect(rand.trustworthiness).toBeLessThan(0.7);
    expect(rand.continuity).toBeLessThan(0.7);
  });

  it("tearing = 0 for a scaled copy, > 0 for a torn one", () => {
    const side = 30;
    const grid = new Float64Array(2 * side * side);
    for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) grid.set([i, j], 2 * (i * side + j));
    const m = side * side;
    expect(
      tearing(
        grid,
        grid.map((v) => 2.5 * v),
        m,
        2,
        2,
      ),
    ).toEqual({ share: 0, factor: 3, k: 10 });
    const torn = grid.slice();
    for (let p = 0; p < m; p++) if (torn[2 * p]! >= side / 2) torn[2 * p] = torn[2 * p]! + 100;
    const score = tearing(grid, torn, m, 2, 2);
    expect(score.share).toBeGreaterThan(0.01);
    expect(score.share).toBeLessThan(0.2);
  });
});

describe("Gaussian clouds", () => {
  it("eigen and SVD solvers reconstruct their matrices", () => {
    const a = [4, 1, 0.5, 1, 3, -0.2, 0.5, -0.2, 1];
    const { values, vectors } = symmetricEigen(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let r = 0;
        for (let k = 0; k < 3; k++) r += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!;
        expect(r).toBeCloseTo(a[i * 3 + j]!, 12);
      }
    const b = [1, 2, 3, 4, 5, 6, 7, 8, 10];
    const { u, s, v } = svd(b, 3);
    expect(s[0]!).toBeGreaterThanOrEqual(s[1]!);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let r = 0;
        for (let k = 0; k < 3; k++) r += u[i * 3 + k]! * s[k]! * v[j * 3 + k]!;
        expect(r).toBeCloseTo(b[i * 3 + j]!, 12);
      }
  });

  it("condition number of diag(1, 4) is 4", () => {
    expect(conditionNumber([1, 0, 0, 4], 2)).toBeCloseTo(4, 14);
    expect(conditionNumber([2, 1, 1, 2], 2)).toBeCloseTo(3, 14);
  });

  it("Procrustes error ≈ 0 for a rotated, scaled, shifted (and reflected) copy", () => {
    const n = 200;
    const truth = randn(new Rng(5), 2 * n);
    for (const reflect of [false, true]) {
      const z = similarity2(truth, n, 1.1, 0.3, [7, -3], reflect);
      const res = procrustes(z, truth, n, 2);
      expect(res.error).toBeLessThan(1e-12);
      expect(res.scale).toBeCloseTo(1 / 0.3, 10);
      for (let i = 0; i < n; i++)
        for (let b = 0; b < 2; b++) {
          let v = res.translation[b]!;
          for (let a = 0; a < 2; a++) v += res.scale * z[2 * i + a]! * res.rotation[a * 2 + b]!;
          expect(v).toBeCloseTo(truth[2 * i + b]!, 9);
        }
    }
    const squashed = truth.map((v, i) => (i % 2 ? 0.1 * v : v));
    expect(procrustes(squashed, truth, n, 2).error).toBeGreaterThan(0.2);
  });

  it("per-class ratios and Procrustes errors", () => {
    const n = 600;
    const rng = new Rng(6);
    const truth = randn(rng, 2 * n);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      const sy = c === 2 ? 0.25 : 1; // class 2 squashed 4× along y
      z.set([Math.cos(c) * truth[2 * i]! + 10 * c, sy * truth[2 * i + 1]! - Math.sin(c) * truth[2 * i]!], 2 * i);
    }
    const { classes, meanProcrustesError } = gaussianCloudMetrics(z, truth, labels, n, 2);
    expect(classes.map((c) => c.label)).toEqual([0, 1, 2]);
    expect(classes[0]!.procrustesError).toBeLessThan(1e-12);
    expect(classes[0]!.latentRatio).toBeCloseTo(classes[0]!.trueRatio, 12);
    expect(classes[2]!.latentRatio).toBeLessThan(0.5 * classes[2]!.trueRatio);
    expect(classes[2]!.procrustesError).toBeGreaterThan(0.05);
    expect(meanProcrustesError).toBeGreaterThan(0);
  });

  it("k-means recovers well-separated clusters: F-measure 1", () => {
    const rng = new Rng(7);
    const n = 450;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const centres = [
      [0, 0],
      [20, 0],
      [0, 20],
    ] as const;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = centres[labels[i]!]!;
      x.set([c[0] + rng.normal(), c[1] + rng.normal()], 2 * i);
    }
    const res = kmeans(x, n, 2, 3, { seed: 1 });
    expect(fMeasure(labels, res.labels)).toBe(1);
    expect(res.inertia).toBeLessThan(4 * n);
  });

  it("F-measure on a hand case", () => {
    // class 0 = {0,1,2}, class 1 = {3,4}; clusters A = {0,1}, B = {2,3,4}
    // F_0 = max(2·2/5, 2·1/6) = 0.8, F_1 = 2·2/5 = 0.8 → 0.8
    expect(fMeasure([0, 0, 0, 1, 1], [5, 5, 9, 9, 9])).toBeCloseTo(0.8, 14);
  });
});

describe("summary statistics", () => {
  it("ignores NaN but counts it", () => {
    const s = summarize([5, NaN, 1, 3, 2, 4]);
    expect(s).toMatchObject({ count: 5, nan: 1, mean: 3, q25: 2, median: 3, q75: 4, max: 5 });
    expect(s.q05).toBeCloseTo(1.2, 14);
    expect(s.q95).toBeCloseTo(4.8, 14);
    expect(summarize([NaN]).mean).toBeNaN();
  });
});

describe("geodesic length ratio", () => {
  it("is 1 for a constant metric", async () => {
    const g = [2, 0.5, 0.5, 1];
    const metric: MetricFn = (_z, m) => {
      const out = new Float64Array(4 * m);
      for (let i = 0; i < m; i++) out.set(g, 4 * i);
      return out;
    };
    const rng = new Rng(8);
    const res = await geodesicLengthRatio(metric, randn(rng, 10), randn(rng, 10), 5, 2);
    expect(res.mean).toBeCloseTo(1, 9);
    for (const r of res.ratios) expect(r).toBeCloseTo(1, 9);
  });

  it("matches the great circle on the sphere, g = diag(1, cos²u)", async () => {
    const sphere: MetricFn = async (z, m) => {
      const out = new Float64Array(4 * m);
      for (let i = 0; i < m; i++) out.set([1, 0, 0, Math.cos(z[2 * i]!) ** 2], 4 * i);
      return out;
    };
    // Endpoints on the parallel u = u0, Δv apart (one pair in each hemisphere).
    const cases = [
      [1, 2],
      [-0.6, 2.5],
    ] as const;
    const from = Float64Array.from(cases.flatMap(([u0]) => [u0, 0.3]));
    const to = Float64Array.from(cases.flatMap(([u0, dv]) => [u0, 0.3 + dv]));
    const res = await geodesicLengthRatio(sphere, from, to, cases.length, 2);
    let mean = 0;
    cases.forEach(([u0, dv], p) => {
      const great = Math.acos(Math.sin(u0) ** 2 + Math.cos(u0) ** 2 * Math.cos(dv));
      const expected = great / (Math.cos(u0) * dv);
      expect(expected).toBeLessThan(1);
      expect(Math.abs(res.ratios[p]! - expected)).toBeLessThan(1e-2);
      expect(Math.abs(res.straightLengths[p]! - Math.cos(u0) * dv)).toBeLessThan(1e-9);
      mean += expected / cases.length;
    });
    expect(res.mean).toBeLessThan(1);
    expect(Math.abs(res.mean - mean)).toBeLessThan(1e-2);
  });
});
