/**
 * Synthetic runs for tests and demonstrations of the report (no training involved): a Swiss
 * roll whose "baseline" latent is a folded, stretched copy of its true (t, height) and whose
 * "regularised" latent is (t, height) itself, with made-up curvature / volume grids, metrics
 * and loss curves of the right shapes.
 */
import { swissRoll } from "../runtime/data/synthetic.js";
import { Rng } from "../util/random.js";
import type { ColourBy, CurveRecord } from "./plots.js";
import type { FieldData, RunData } from "./report.js";

export interface SampleOptions {
  /** Points per run; default 18,000 (sklearn's Swiss roll size in the reference work). */
  n?: number;
  /** Grid cells per side; default 72. */
  grid?: number;
  /** Training records per run; default 3000. */
  steps?: number;
}

/** Two synthetic runs, "baseline" (unregularised-looking) and "ricci-λ0.1" (flat-looking). */
export function sampleRuns({ n = 18000, grid = 72, steps = 3000 }: SampleOptions = {}): RunData[] {
  const ds = swissRoll({ n, seed: 0 });
  const truth = ds.truth!.values;
  const t = Float64Array.from({ length: n }, (_, i) => truth[2 * i]!);
  const h = Float64Array.from({ length: n }, (_, i) => truth[2 * i + 1]!);
  const zA = new Float64Array(2 * n);
  const zB = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const u = (t[i]! - 1.5 * Math.PI) / (3 * Math.PI);
    const v = h[i]! / 21;
    const r = 0.6 + 1.8 * u;
    zA[2 * i] = r * Math.cos(3.2 * u) + 0.3 * v;
    zA[2 * i + 1] = r * Math.sin(3.2 * u) + 0.9 * v - 0.5;
    zB[2 * i] = -2.4 + 4.8 * u;
    zB[2 * i + 1] = -1.07 + 2.14 * v;
  }
  const quarter = Int32Array.from({ length: n }, (_, i) => Math.min(3, Math.floor(((t[i]! - 1.5 * Math.PI) / (3 * Math.PI)) * 4)));
  const colours: ColourBy[] = [
    { kind: "continuous", name: "t", values: t },
    { kind: "categorical", name: "quarter of t", values: quarter, labels: ["first", "second", "third", "fourth"] },
  ];

  const extent = [-3, 3, -3, 3] as const;
  const field = (f: (x: number, y: number) => number): Float64Array => {
    const g = new Float64Array(grid * grid);
    for (let j = 0; j < grid; j++) {
      for (let i = 0; i < grid; i++) g[j * grid + i] = f(-3 + ((i + 0.5) * 6) / grid, -3 + ((j + 0.5) * 6) / grid);
    }
    return g;
  };
  const fields = (R: Float64Array, vol: Float64Array): FieldData[] => [
    { key: "R", values: R, nx: grid, ny: grid, extent, description: "Synthetic values (sample data)." },
    { key: "sqrtDetG", values: vol, nx: grid, ny: grid, extent },
  ];
  const RA = field(
    (x, y) => 4 * Math.sin(1.7 * x) * Math.cos(1.3 * y) * Math.exp(-0.08 * (x * x + y * y)) + (Math.hypot(x - 1, y + 1) < 0.3 ? 40 : 0),
  );
  RA[5] = NaN; // a degenerate point (det g = 0)
  const RB = field((x, y) => 0.15 * Math.sin(1.1 * x + 0.4) * Math.cos(0.9 * y));
  const volA = field((x, y) => Math.exp(1.6 * x - 0.4 * y * y + 0.5));
  const volB = field((x, y) => 1.3 + 0.25 * Math.sin(x) * Math.cos(0.7 * y));

  const rng = new Rng(3);
  const curves = (curv: number, withF: boolean): CurveRecord[] =>
    Array.from({ length: steps }, (_, s) => {
      const noise = (): number => Math.exp(0.15 * rng.normal());
      const rec: CurveRecord = {
        step: s,
        epoch: Math.floor(s / 141),
        loss: (0.9 * Math.exp(-s / 400) + 0.004 + curv * 0.02 * Math.exp(-s / 900)) * noise(),
        recon: (0.9 * Math.exp(-s / 400) + 0.003) * noise(),
        curv: (curv * 0.2 * Math.exp(-s / 900) + 1e-5) * noise(),
        lr: 1e-3,
      };
      if (withF) rec["F"] = -0.5 + 0.8 * Math.exp(-s / 700) + 0.02 * rng.normal();
      return rec;
    });
  const config = (train: Record<string, unknown>): Record<string, unknown> => ({
    model: "examples/swiss-roll.model.json",
    dataset: { kind: "swiss-roll", n, seed: 0 },
    train: { epochs: 20, batch: 128, lr: 1e-3, lambdaRecon: 1, ...train },
    seed: 0,
  });
  return [
    {
      name: "baseline",
      config: config({ lambdaCurv: 0 }),
      metrics: {
        test_mse: 0.0123,
        test_r2: 0.986,
        mean_R2_sqrt_detg: 351.2,
        trustworthiness: 0.912,
        continuity: 0.887,
        geodesic_ratio: 0.846,
        spearman_t: 0.71,
        time_s: 812,
        custom_score: 3.5,
        unavailable: null,
      },
      latent: { z: zA, colours },
      fields: fields(RA, volA),
      curves: curves(0, false),
    },
    {
      name: "ricci-λ0.1",
      config: config({ lambdaCurv: 0.1, functional: "R2", contractive: { delta: 1.5 } }),
      metrics: {
        test_mse: 0.0041,
        test_r2: 0.997,
        mean_R2_sqrt_detg: 0.082,
        trustworthiness: 0.995,
        continuity: 0.993,
        geodesic_ratio: 1.007,
        spearman_t: 0.998,
        time_s: 1530,
        custom_score: 2.5,
        unavailable: 0.5,
      },
      latent: { z: zB, colours },
      fields: fields(RB, volB),
      curves: curves(1, true),
      notes: ["Sample data: synthetic latent codes and fields, not a trained model."],
    },
  ];
}
