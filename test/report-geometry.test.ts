/**
 * The report's geometric pictures and comparison rules: indicatrices against closed forms, the
 * coarse metric grid's cell centres, flat-torus wrapping, the symmetric-log colour scale that keeps
 * a flattened run visible beside a curved one, smoothed training curves, and the rule that marks a
 * metric "better" only beyond the run-to-run noise.
 */
import { describe, expect, it } from "vitest";
import {
  divergingScale,
  heatmapPanels,
  heatmapScale,
  renderReport,
  sampleRuns,
  scatterPanels,
  type FieldGrid,
} from "../src/report/index.js";
import { movingAverage } from "../src/report/curves.js";
import { indicatrix, indicatrixMarks, wrapToTorus } from "../src/report/marks.js";
import { noiseRule } from "../src/report/metric-table.js";
import { runSubtitle } from "../src/report/report.js";
import { linearAxis } from "../src/report/svg.js";
import { coarseMetricGrid } from "../src/runtime/export/latent-files.js";

describe("indicatrices", () => {
  it("are the ellipses vᵀ g v = 1: semi-axes 1/√λ along g's eigenvectors", () => {
    // Polar coordinates (r, θ) of the plane: g = diag(1, r²); at r = 2 the ellipse is 1 along r and ½ along θ.
    const polar = indicatrix(1, 0, 4)!;
    expect(polar.major).toBeCloseTo(1, 12);
    expect(polar.minor).toBeCloseTo(0.5, 12);
    expect(Math.abs(Math.cos(polar.angle))).toBeCloseTo(1, 12); // major axis along z₁
    // g = Rᵀ diag(4, 1) R, rotated by 30°: the major axis (λ = 1) is the rotated z₂ direction.
    const a = Math.PI / 6;
    const [c, s] = [Math.cos(a), Math.sin(a)];
    const g11 = 4 * c * c + s * s;
    const g12 = (4 - 1) * c * s;
    const g22 = 4 * s * s + c * c;
    const e = indicatrix(g11, g12, g22)!;
    expect([e.major, e.minor]).toEqual([expect.closeTo(1, 12), expect.closeTo(0.5, 12)]);
    // The major axis direction u satisfies uᵀ g u = 1 (it lies on the ellipse at distance 1).
    const u = [Math.cos(e.angle), Math.sin(e.angle)] as const;
    expect(u[0] * u[0] * g11 + 2 * u[0] * u[1] * g12 + u[1] * u[1] * g22).toBeCloseTo(1, 12);
    // Conformal g = 9·I: a circle of radius 1/3. Degenerate or indefinite g: none.
    expect(indicatrix(9, 0, 9)).toEqual({ major: 1 / 3, minor: 1 / 3, angle: expect.any(Number) });
    expect(indicatrix(1, 1, 1)).toBeNull();
    expect(indicatrix(1, 2, 1)).toBeNull();
    expect(indicatrix(NaN, 0, 1)).toBeNull();
  });

  it("one ellipse per non-degenerate cell, scaled to 0.45 of a cell", () => {
    const g = [1, 0, 1, 4, 0, 4, NaN, NaN, NaN, 1, 0, 1];
    const xs = linearAxis([0, 2], [0, 200]);
    const ys = linearAxis([0, 2], [200, 0]);
    const m = indicatrixMarks({ nx: 2, ny: 2, extent: [0, 2, 0, 2], g }, xs, ys);
    expect([m.drawn, m.degenerate]).toEqual([3, 1]);
    expect(m.svg.match(/Z/g)!.length).toBe(3);
    // Majors 1, ½, 1: the 90th percentile is 1, so k = 0.45 · (cell = 1).
    expect(m.scale).toBeCloseTo(0.45, 12);
    const plot = scatterPanels([
      { title: "a", points: { z: [0.5, 0.5, 1.5, 1.5] }, indicatrix: { nx: 2, ny: 2, extent: [0, 2, 0, 2], g } },
    ]);
    expect(plot.notes.join(" ")).toMatch(/indicatrices \{v : vᵀg v = 1\}.*a ×0\.45/);
  });

  it("the coarse grid keeps every stride-th cell with its own centre", () => {
    const res = 48;
    const extent: [number, number, number, number] = [0, 48, 0, 96];
    const g = new Float64Array(res * res * 4);
    const ok = new Uint8Array(res * res).fill(1);
    // g11 = x and g22 = y of the fine cell's centre.
    for (let j = 0; j < res; j++)
      for (let i = 0; i < res; i++) {
        const c = j * res + i;
        g[4 * c] = i + 0.5;
        g[4 * c + 3] = 2 * (j + 0.5);
      }
    ok[(2 * res + 2) as number] = 0;
    const m = coarseMetricGrid(g, ok, res, extent, 12);
    expect([m.nx, m.ny]).toEqual([12, 12]);
    const [x0, x1, y0, y1] = m.extent;
    for (const [I, J] of [
      [0, 1],
      [5, 7],
      [11, 11],
    ] as const) {
      const cx = x0 + ((I + 0.5) * (x1 - x0)) / 12;
      const cy = y0 + ((J + 0.5) * (y1 - y0)) / 12;
      expect(m.g[3 * (J * 12 + I)]).toBeCloseTo(cx, 10);
      expect(m.g[3 * (J * 12 + I) + 2]).toBeCloseTo(cy, 10);
    }
    expect(m.g.slice(0, 3)).toEqual([null, null, null]); // the degenerate fine cell picked for (0, 0)
  });
});

describe("flat torus pictures", () => {
  it("wraps codes to (−π, π] and draws copies across the edges", () => {
    expect(wrapToTorus((3 * Math.PI) / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapToTorus(-Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapToTorus(0.3 + 4 * Math.PI)).toBeCloseTo(0.3, 12);
    // One code near the right edge (its copy shows on the left), one in the middle (no copy).
    const p = scatterPanels([{ points: { z: [3.0 + 2 * Math.PI, 0, 0, 0] }, torus: true }]);
    expect(p.svg.match(/<circle/g)!.length).toBe(3);
    expect(p.svg).toContain('stroke-dasharray="6 4"');
    expect(p.notes.join(" ")).toMatch(/Torus latent/);
  });
});

const grid = (amplitude: number): FieldGrid => {
  const n = 16;
  const values = Float64Array.from({ length: n * n }, (_, k) => amplitude * Math.sin((k % n) / 3) * Math.cos(Math.floor(k / n) / 4));
  return { values, nx: n, ny: n, extent: [0, 1, 0, 1] };
};

describe("colour scales for runs of very different curvature", () => {
  it("symlog positions follow sign(v)·log10(1 + |v|/c)", () => {
    const s = divergingScale([-10, 10], 0, 0.01);
    expect(s.transform).toBe("symlog");
    expect(s.position(0)).toBe(0.5);
    expect(s.position(0.01)).toBeCloseTo(0.5 + Math.log10(2) / (2 * Math.log10(1001)), 12);
    expect(s.position(-10)).toBeCloseTo(0, 12);
    expect(divergingScale([-10, 10], 0).position(0.01)).toBeCloseTo(0.5005, 12);
  });

  it("a curved run beside a flat one: symmetric log, and the flat panel is not blank", () => {
    const curved = grid(100);
    const flat = grid(0.01);
    const hs = heatmapScale([curved, flat], { scale: "diverging" });
    expect(hs.scale.transform).toBe("symlog");
    const maxFlat = Math.max(...Array.from(flat.values, (v) => hs.scale.position(v)));
    expect(maxFlat).toBeGreaterThan(0.58); // linear: 0.50005
    const p = heatmapPanels(
      [
        { title: "a", grid: curved },
        { title: "b", grid: flat },
      ],
      { scale: "diverging" },
    );
    expect(p.notes.join(" ")).toMatch(/symmetric-log.*differ ×/);
    // Similar ranges keep the linear scale.
    expect(heatmapScale([curved, grid(50)], { scale: "diverging" }).scale.transform).toBe("linear");
  });
});

describe("training curves", () => {
  it("moving average: arithmetic on linear panels, geometric on log panels", () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3, false)).toEqual([1.5, 2, 3, 4, 4.5]);
    const g = movingAverage([1, 100, 1], 3, true);
    expect(g[0]).toBeCloseTo(10, 12);
    expect(g[1]).toBeCloseTo(100 ** (1 / 3), 12);
  });
});

describe("marking differences", () => {
  const run = (name: string, seed: number, lambda: number, mse: number) => ({
    name,
    config: { seed, loss: { curv: lambda } },
    metrics: { mse },
  });

  it("one run per setting: a 0.09 % difference is noise, a 10 % one is not", () => {
    const rule = noiseRule([run("a", 0, 0, 1), run("b", 0, 0.1, 1.0009)]);
    expect(rule.describe).toMatch(/under 1 % are not marked/);
    expect(rule.differs("mse", 1, 1.0009)).toBe(false);
    expect(rule.differs("mse", 1, 1.1)).toBe(true);
    const html = renderReport([run("a", 0, 0, 1), run("b", 0, 0.1, 1.0009)]).html;
    expect(html).not.toMatch(/class="num best"/);
    expect(html).not.toMatch(/delta (good|bad)/);
  });

  it("several seeds of a setting: twice the pooled seed-to-seed sd", () => {
    const runs = [run("a0", 0, 0, 1.0), run("a1", 1, 0, 1.2), run("a2", 2, 0, 1.1), run("b0", 0, 0.1, 1.25)];
    const rule = noiseRule(runs);
    expect(rule.describe).toMatch(/twice the seed-to-seed standard deviation/);
    // sd of {1.0, 1.2, 1.1} is 0.1: differences up to 0.2 are noise.
    expect(rule.differs("mse", 1.1, 1.25)).toBe(false);
    expect(rule.differs("mse", 1.0, 1.25)).toBe(true);
  });
});

describe("report captions and titles", () => {
  it("gives λ and the seed under each panel and each run's own latent box", () => {
    expect(runSubtitle({ seed: 3, loss: { curv: 0.1, functional: "F", isometry: { weight: 1 } } })).toBe(
      "λ_curv = 0.1 (F) · λ_iso = 1 · seed 3",
    );
    expect(runSubtitle({ seed: 0, loss: { curv: 0.1, isometry: { weight: 1 }, isomap: { weight: 1 } } })).toBe(
      "λ_curv = 0.1 · λ_iso = 1 · λ_isomap = 1 · seed 0",
    );
    const [a, b] = sampleRuns({ n: 400, grid: 12, steps: 50 });
    const moved = {
      ...b!,
      config: { ...b!.config, seed: 5 },
      fields: b!.fields!.map((f) => ({ ...f, extent: [10, 30, -5, 15] as const })),
    };
    const { html, plots } = renderReport([a!, moved], { images: "svg" });
    expect(html).toMatch(/over each run&#39;s latent box|over each run's latent box/);
    expect(html).toContain("ricci-λ0.1: [10, 30] × [−5, 15]");
    expect(html).toMatch(/baseline: \[−3, 3\] × \[−3, 3\]/);
    const heat = plots.find((p) => /R/.test(p.alt) && p.plot.svg.includes("seed 5"));
    expect(heat).toBeDefined();
    expect(heat!.plot.notes.join(" ")).toMatch(/its own run's latent box/);
  });
});
