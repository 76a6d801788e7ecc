/**
 * The research's metric definitions and the poster's goal metrics (src/runtime/eval), each against a
 * hand-computed case or an independent closed form: pooled R², pair-counting F (also on the flat
 * torus), condition number and IRVAE distortion, rotations for the Swiss roll, k-NN overlap, and the
 * geodesic grid ratio with its exponential map.
 */
import { describe, expect, it } from "vitest";
import { metricTable } from "../src/cli/metric-table.js";
import { metricInfo } from "../src/report/metrics.js";
import { Rng } from "../src/util/random.js";
import {
  bestRotation,
  conditionNumbers,
  eigenRatio,
  exponentialMap,
  finiteDifferenceJets,
  geodesicGridRatio,
  isometryDistortion,
  kmeansPairCountingF,
  knnOverlap,
  pairCountingF,
  r2,
  r2Pooled,
  rollArcLength,
  type MetricFn,
  type MetricJetFn,
} from "../src/runtime/eval/index.js";

describe("pooled R² (the research's definition)", () => {
  it("divides by the variance of all values around their single mean", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]); // 3×2: mean 2.5, pooled variance 17.5/6 = 35/12
    const off = x.map((v) => v + 1); // MSE 1
    expect(r2Pooled(x, x, 3, 2)).toBe(1);
    expect(r2Pooled(x, off, 3, 2)).toBeCloseTo(1 - 12 / 35, 14);
    expect(r2(x, off, 3, 2)).toBeCloseTo(1 - 3 / 8, 14); // per-feature variance 8/3
    expect(r2Pooled(x, new Float64Array(6).fill(2.5), 3, 2)).toBeCloseTo(0, 14);
  });
});

/** a, b, c by enumerating every pair (the oracle for the contingency-table formula). */
function bruteF(l: number[], k: number[]): number {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < l.length; i++)
    for (let j = i + 1; j < l.length; j++) {
      const sameL = l[i] === l[j];
      const sameK = k[i] === k[j];
      if (sameL && sameK) a++;
      else if (sameK) b++;
      else if (sameL) c++;
    }
  return 2 * a + b + c === 0 ? 1 : (2 * a) / (2 * a + b + c);
}

describe("pair-counting F = 2a / (2a + b + c)", () => {
  it("known partitions", () => {
    // label pairs 3 + 3, cluster pairs 1 + 6, shared 1 + 3: a = 4, b = 3, c = 2.
    expect(pairCountingF([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1])).toBeCloseTo(8 / 13, 15);
    expect(pairCountingF([0, 0, 1, 1], [5, 5, 2, 2])).toBe(1); // same partition, other names
    expect(pairCountingF([0, 1, 2], [0, 1, 2])).toBe(1); // no pairs anywhere
    expect(pairCountingF([0, 0, 1, 1], [0, 0, 0, 0])).toBeCloseTo(4 / 8, 15); // a = 2, b = 4, c = 0
  });

  it("matches pair enumeration on random partitions", () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + rng.int(40);
      const l = Array.from({ length: n }, () => rng.int(3));
      const k = Array.from({ length: n }, () => rng.int(4));
      expect(pairCountingF(l, k)).toBeCloseTo(bruteF(l, k), 14);
    }
  });

  it("k-means over 300 codes × 10 draws: 1 for separated classes, deterministic given the seed", () => {
    const rng = new Rng(1);
    const n = 900;
    const z = new Float64Array(2 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      z[2 * i] = 10 * labels[i]! + 0.3 * rng.normal();
      z[2 * i + 1] = 0.3 * rng.normal();
    }
    const r = kmeansPairCountingF(z, labels, n, 2, { seed: 3 });
    expect(r).toMatchObject({ codes: 300, draws: 10, k: 3, torus: false });
    expect(r.values).toHaveLength(10);
    expect(r.mean).toBe(1);
    // Overlapping classes: below 1, and the same numbers again for the same seed.
    for (let i = 0; i < n; i++) z[2 * i] = labels[i]! + rng.normal();
    const a = kmeansPairCountingF(z, labels, n, 2, { seed: 5 });
    expect(a.mean).toBeLessThan(0.9);
    expect(kmeansPairCountingF(z, labels, n, 2, { seed: 5 }).values).toEqual(a.values);
  });

  it("on the flat torus a class straddling ±π stays one cluster", () => {
    const rng = new Rng(2);
    const n = 600;
    const z = new Float64Array(2 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      // class 0 around u = π (half the codes at +3.0, half at −3.0 in the chart), class 1 around 0
      const u = labels[i] === 0 ? Math.PI + 0.15 * rng.normal() : 0.15 * rng.normal();
      z[2 * i] = u - 2 * Math.PI * Math.round(u / (2 * Math.PI));
      z[2 * i + 1] = 0.15 * rng.normal();
    }
    expect(kmeansPairCountingF(z, labels, n, 2, { seed: 0, torus: true }).mean).toBe(1);
    expect(kmeansPairCountingF(z, labels, n, 2, { seed: 0, torus: false }).mean).toBeLessThan(0.8);
  });
});

describe("conformality and isometry", () => {
  it("a conformal metric c(z)·I has condition number 1; diag(1, 4) has 4", () => {
    const g = Float64Array.from([2, 0, 0, 2, 0.3, 0, 0, 0.3, 1, 0, 0, 4]);
    const c = conditionNumbers(g, 3, 2);
    expect(c[0]).toBeCloseTo(1, 14);
    expect(c[1]).toBeCloseTo(1, 14);
    expect(c[2]).toBeCloseTo(4, 12);
  });

  it("IRVAE distortion: 0 for an isometric decoder, hand value for I and 4I", () => {
    // J with orthonormal columns (a rotated embedding R² → R³), scaled by 3: g = JᵀJ = 9 I everywhere.
    const rng = new Rng(6);
    const n = 50;
    const g = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const a = rng.uniform() * Math.PI;
      const J = [3 * Math.cos(a), -3 * Math.sin(a), 3 * Math.sin(a), 3 * Math.cos(a), 0, 0]; // 3×2 row-major
      for (let p = 0; p < 2; p++)
        for (let q = 0; q < 2; q++) g[4 * i + 2 * p + q] = J[p]! * J[q]! + J[2 + p]! * J[2 + q]! + J[4 + p]! * J[4 + q]!;
    }
    expect(Math.abs(isometryDistortion(g, n, 2))).toBeLessThan(1e-14);
    // Tr G = 2, 8 (mean 5); Tr G² = 2, 32 (mean 17): 2·17/25 − 1 = 9/25.
    expect(isometryDistortion(Float64Array.from([1, 0, 0, 1, 4, 0, 0, 4]), 2, 2)).toBeCloseTo(9 / 25, 14);
    // Conformal but not isometric: condition number 1, distortion > 0; anisotropic constant g: > 0.
    expect(isometryDistortion(Float64Array.from([1, 0, 0, 4]), 1, 2)).toBeCloseTo((2 * 17) / 25 - 1, 14);
  });

  it("a rotated isotropic cloud has covariance eigenvalue ratio 1", () => {
    const th = 0.37;
    const pts = [1, 0, -1, 0, 0, 1, 0, -1].map((_, i, a) => {
      const x = a[i - (i % 2)]!;
      const y = a[i - (i % 2) + 1]!;
      return i % 2 === 0 ? Math.cos(th) * x - Math.sin(th) * y + 5 : Math.sin(th) * x + Math.cos(th) * y - 2;
    });
    expect(eigenRatio(Float64Array.from(pts), 4, 2)).toBeCloseTo(1, 12);
  });
});

describe("Swiss roll unrolling", () => {
  const rng = new Rng(8);
  const n = 400;
  const t = Float64Array.from({ length: n }, () => 1.5 * Math.PI * (1 + 2 * rng.uniform()));
  const h = Float64Array.from({ length: n }, () => 21 * rng.uniform());

  it("a known rotation of an unrolled chart gives Spearman 1 on the right axes", () => {
    const theta0 = (63 * Math.PI) / 360; // on the search grid
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const a = 2 * t[i]!; // axis 1 ∝ t, axis 2 ∝ height, then rotated by θ0
      const b = 0.5 * h[i]!;
      z[2 * i] = Math.cos(theta0) * a - Math.sin(theta0) * b;
      z[2 * i + 1] = Math.sin(theta0) * a + Math.cos(theta0) * b;
    }
    const r = bestRotation(z, n, t, h);
    expect(r.goal.theta).toBeCloseTo(theta0, 12);
    expect(r.goal.t).toBeCloseTo(1, 12);
    expect(r.goal.height).toBeCloseTo(1, 12);
    expect(r.goal.score).toBeCloseTo(1 / 0.97, 10);
    expect(r.atBestT).toMatchObject({ theta: r.goal.theta });
  });

  it("a spiral chart scores low", () => {
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      z[2 * i] = t[i]! * Math.cos(t[i]!);
      z[2 * i + 1] = t[i]! * Math.sin(t[i]!);
    }
    expect(bestRotation(z, n, t, h).goal.score).toBeLessThan(0.5);
  });

  it("k-NN overlap: 1 for a similar copy, low for a shuffled one; wrap-aware on the torus", () => {
    const chart = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      chart[2 * i] = t[i]!;
      chart[2 * i + 1] = h[i]!;
    }
    const copy = chart.map((v, i) => (i % 2 ? -3 * v + 1 : 3 * v - 7));
    expect(knnOverlap(copy, 2, chart, 2, n, 10)).toBe(1);
    const perm = Array.from({ length: n }, (_, i) => i).sort(() => rng.uniform() - 0.5);
    const shuffled = new Float64Array(2 * n);
    perm.forEach((p, i) => shuffled.set(chart.subarray(2 * p, 2 * p + 2), 2 * i));
    expect(knnOverlap(shuffled, 2, chart, 2, n, 10)).toBeLessThan(0.1);
    // A circle of angles crossing ±π: with wrapping its neighbours are those of the angle line.
    const m = 60;
    const angle = Float64Array.from({ length: m }, (_, i) => ((i - m / 2) * 2 * Math.PI) / m + 0.01);
    const circle = new Float64Array(2 * m);
    for (let i = 0; i < m; i++) {
      circle[2 * i] = Math.cos(angle[i]!);
      circle[2 * i + 1] = Math.sin(angle[i]!);
    }
    expect(knnOverlap(angle, 1, circle, 2, m, 4, true)).toBe(1);
    expect(knnOverlap(angle, 1, circle, 2, m, 4, false)).toBeLessThan(1);
  });

  it("arc length of the spiral matches numerical integration of √(1 + t²)", () => {
    const a = 1.5 * Math.PI;
    const b = 4.5 * Math.PI;
    const steps = 2000; // Simpson
    let s = 0;
    for (let i = 0; i <= steps; i++) {
      const x = a + ((b - a) * i) / steps;
      s += (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * Math.sqrt(1 + x * x);
    }
    expect(rollArcLength(b) - rollArcLength(a)).toBeCloseTo((s * (b - a)) / (3 * steps), 8);
  });
});

const sphere: MetricFn = (z, m) => {
  const g = new Float64Array(4 * m);
  for (let i = 0; i < m; i++) {
    g[4 * i] = 1;
    g[4 * i + 3] = Math.cos(z[2 * i]!) ** 2;
  }
  return g;
};

/** The sphere's g and exact ∂g: only ∂_u g_vv = −2 sin u cos u is non-zero. */
const sphereJets: MetricJetFn = (z, m) => {
  const dg = new Float64Array(8 * m);
  for (let i = 0; i < m; i++) dg[8 * i + 3] = -Math.sin(2 * z[2 * i]!);
  return { g: sphere(z, m) as Float64Array, dg };
};

describe("research geodesic grid ratio", () => {
  it("exp map on the unit sphere, g = diag(1, cos²u), matches the great circle", async () => {
    const z0 = Float64Array.from([0.3, -0.2, -0.5, 1.0]);
    const u0 = Float64Array.from([0.4, 0.9, -0.3, 0.2]);
    const out = await exponentialMap(finiteDifferenceJets(sphere, 2, 1e-4), z0, u0, 2, 64);
    const exact = await exponentialMap(sphereJets, z0, u0, 2, 64);
    for (let p = 0; p < 2; p++) {
      const [u, v] = [z0[2 * p]!, z0[2 * p + 1]!];
      const X = [Math.cos(u) * Math.cos(v), Math.cos(u) * Math.sin(v), Math.sin(u)];
      const Xu = [-Math.sin(u) * Math.cos(v), -Math.sin(u) * Math.sin(v), Math.cos(u)];
      const Xv = [-Math.cos(u) * Math.sin(v), Math.cos(u) * Math.cos(v), 0];
      const T = X.map((_, a) => u0[2 * p]! * Xu[a]! + u0[2 * p + 1]! * Xv[a]!);
      const s = Math.hypot(...T);
      const Y = X.map((x, a) => Math.cos(s) * x + (Math.sin(s) * T[a]!) / s);
      expect(out[2 * p]).toBeCloseTo(Math.asin(Y[2]!), 6);
      expect(out[2 * p + 1]).toBeCloseTo(Math.atan2(Y[1]!, Y[0]!), 6);
      expect(exact[2 * p]).toBeCloseTo(Math.asin(Y[2]!), 8);
      expect(exact[2 * p + 1]).toBeCloseTo(Math.atan2(Y[1]!, Y[0]!), 8);
    }
  });

  it("is 1 for a constant (flat) metric and below 1 on the sphere", async () => {
    const flat: MetricFn = (_z, m) => {
      const g = new Float64Array(4 * m);
      for (let i = 0; i < m; i++) g.set([2, 0.5, 0.5, 1], 4 * i);
      return g;
    };
    const box = [
      [-1, 1],
      [-0.5, 1.5],
    ] as const;
    const f = await geodesicGridRatio(flat, box, { lines: 5, points: 8 });
    for (const r of f.ratios) expect(r).toBeCloseTo(1, 8);
    expect(f.failedLines).toBe(0);
    expect(f.basePoint[0]).toBeCloseTo(0, 8);
    expect(f.basePoint[1]).toBeCloseTo(0.5, 8);
    const s = await geodesicGridRatio(
      sphere,
      [
        [-1, 1],
        [-1, 1],
      ],
      { lines: 5, points: 10 },
    );
    expect(s.mean).toBeLessThan(0.995);
    expect(s.mean).toBeGreaterThan(0.5);
    for (const r of s.ratios) expect(r).toBeLessThanOrEqual(1 + 1e-6);
    // Exact ∂g instead of finite differences: the same ratios.
    const e = await geodesicGridRatio(
      sphere,
      [
        [-1, 1],
        [-1, 1],
      ],
      { lines: 5, points: 10, jets: sphereJets },
    );
    for (const [i, r] of e.ratios.entries()) expect(r).toBeCloseTo(s.ratios[i]!, 5);
  });
});

describe("metric catalogue and tables", () => {
  const keys = [
    "test_r2",
    "test_r2_pooled",
    "mean_R2_sqrt_detg",
    "median_R2_sqrt_detg",
    "grid_mean_R2_sqrt_detg",
    "grid_median_R2_sqrt_detg",
    "condition_number",
    "mean_condition_number",
    "isometry_distortion",
    "rotation_spearman_t",
    "rotation_spearman_height",
    "unroll_score",
    "knn_overlap_t_height",
    "knn_overlap_arclength",
    "cloud_eigen_ratio_min",
    "cloud_mean_condition_number_max",
    "kmeans_f1_class_max",
    "kmeans_f_pairCounting",
    "geodesic_ratio",
    "geodesic_ratio_grid",
  ];

  it("every evaluation key has its own label, and research definitions say so", () => {
    const labels = keys.map((k) => metricInfo(k)?.label);
    for (const [i, l] of labels.entries()) expect(l, keys[i]).toBeDefined();
    expect(new Set(labels).size).toBe(keys.length);
    for (const k of ["test_r2_pooled", "kmeans_f_pairCounting", "geodesic_ratio_grid"]) expect(metricInfo(k)!.label).toMatch(/research/);
  });

  it("the terminal table prints the median of R²√det g beside the mean", () => {
    const table = metricTable([{ name: "run", metrics: { mean_R2_sqrt_detg: 22, median_R2_sqrt_detg: 0.62 } }]);
    const lines = table.split("\n");
    expect(lines[2]).toMatch(/^mean R²√det g ↓ +22$/);
    expect(lines[3]).toMatch(/^median R²√det g ↓ +0\.62$/);
  });
});
