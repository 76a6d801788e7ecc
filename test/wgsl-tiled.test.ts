/**
 * The tiled WebGPU kernels (emit/wgsl-tiled.ts) at the widths of the research's decoders: curvature
 * fields against the float64 TypeScript kernels at hidden widths 16, 64, 256 and 512, with widths,
 * batch sizes and reduction lengths that do not divide the tiles (unit tiles of 6 and 10 rows,
 * 64-point workgroups, weight tiles staged in several steps), outputs and tapes NaN-poisoned first;
 * and ∂L/∂θ, ∂L/∂z against central finite differences of the float64 loss.
 */
import { describe, expect, it } from "vitest";
import { gpuAvailability, GPU_INSTALL_HINT } from "../src/runtime/webgpu/device.js";
import { WebGpuDecoder } from "../src/runtime/webgpu/decoder.js";
import { curvaturePlan, kTileFor, tileConfig, type TileConfig } from "../src/emit/wgsl-tile-plan.js";
import type { Route } from "../src/ir/kernels.js";
import type { Model } from "../src/model/types.js";
import { compiled, mlpModel, named, paramsOf, points } from "./helpers/models.js";

const inCI = !!process.env.CI && process.env.CI !== "false";
const gpu = await gpuAvailability();
if (!gpu.ok && !inCI)
  console.warn(`\n!!! SKIPPING tiled WGSL tests (no WebGPU adapter): ${gpu.reason}\n!!! as root: ${GPU_INSTALL_HINT}\n`);

const f32 = (a: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(a));
/** Small workgroup storage: weight tiles staged in several steps, the last one partial. */
const SMALL_TILES: TileConfig = tileConfig({
  maxComputeWorkgroupStorageSize: 1024,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
});

/** A seeded tanh decoder and its f32-rounded parameters. */
function model(hidden: number[], D: number, activation = named("tanh")): { m: Model; theta: Float64Array } {
  const m = mlpModel({ d: 2, D, hidden, activation, seed: 3 });
  return { m, theta: f32(paramsOf(m)) };
}

async function curvatureCase(hidden: number[], D: number, route: Route, n: number, tiles?: TileConfig) {
  const { m, theta } = model(hidden, D);
  const ts = await compiled(m);
  const z = f32(points(2, n, 11, -0.8, 0.8));
  if (!gpu.ok) throw new Error(gpu.reason);
  const dec = await WebGpuDecoder.create(gpu.ctx, m, tiles ? { route, tiles } : { route });
  try {
    dec.setParams(theta);
    const got = await dec.curvature(z, n, { poison: true });
    const ref = ts.kernels[route === "a" ? "scalarCurvatureA" : "scalarCurvatureB"]!(theta, z, n);
    const metric = ts.kernels["metric"]!(theta, z, n);
    let worstG = 0;
    let worstR = 0;
    let scaleR = 0;
    for (let p = 0; p < n; p++) scaleR = Math.max(scaleR, Math.abs(ref["R"]![p]!));
    for (let i = 0; i < 4 * n; i++)
      worstG = Math.max(worstG, Math.abs(got.g[i]! - metric["g"]![i]!) / Math.max(Math.abs(metric["g"]![i]!), 1e-6));
    for (let p = 0; p < n; p++)
      worstR = Math.max(worstR, Math.abs(got.R[p]! - ref["R"]![p]!) / Math.max(Math.abs(ref["R"]![p]!), 0.01 * scaleR));
    return { worstG, worstR, allFinite: [got.g, got.detg, got.sqrtdetg, got.R, got.loss].every((a) => a.every(Number.isFinite)) };
  } finally {
    dec.destroy();
  }
}

describe.skipIf(!gpu.ok && !inCI)("tiled WGSL kernels vs the float64 TypeScript reference", () => {
  it("plans tiles from the adapter's limits and stages long reductions in several steps", () => {
    const { m } = model([64, 37], 5);
    const plan = curvaturePlan(m, "b", SMALL_TILES);
    expect(plan.columns).toBe(6);
    expect(plan.unitTile).toBe(10); // 64 accumulators / 6 columns
    expect(kTileFor(SMALL_TILES, plan.unitTile, 64)).toBe(12); // 128 staged floats / 10 rows: 64 = 5·12 + 4
    expect(curvaturePlan(m, "a", tileConfig()).unitTile).toBe(6); // 10 columns
  });

  const cases: [string, number[], number, Route, number, TileConfig | undefined][] = [
    ["width 16, route A (unit tile 6), 37 points", [16, 16], 3, "a", 37, undefined],
    ["widths 64 and 37, route B, weight tiles staged in steps of 12", [64, 37], 5, "b", 70, SMALL_TILES],
    ["width 256, route B", [256], 3, "b", 45, undefined],
    ["width 512, route B, 3 workgroups of points", [512], 4, "b", 130, undefined],
  ];
  for (const [name, hidden, D, route, n, tiles] of cases)
    it(`${name}: g and R`, async () => {
      const c = await curvatureCase(hidden, D, route, n, tiles);
      expect(c.allFinite).toBe(true);
      expect(c.worstG).toBeLessThan(1e-4);
      expect(c.worstR).toBeLessThan(2e-2);
    }, 600_000);

  it("∂L/∂θ and ∂L/∂z at widths 64/37 (staged tiles) and 512 against finite differences", async () => {
    if (!gpu.ok) throw new Error(gpu.reason);
    for (const [hidden, tiles] of [
      [[64, 37], SMALL_TILES],
      [[512], undefined],
    ] as [number[], TileConfig | undefined][]) {
      const { m, theta } = model(hidden, 3);
      const ts = await compiled(m);
      const n = 24;
      const z = f32(points(2, n, 5, -0.8, 0.8));
      const dec = await WebGpuDecoder.create(gpu.ctx, m, tiles ? { route: "b", tiles } : { route: "b" });
      try {
        dec.setParams(theta);
        const got = await dec.gradient(z, n, { poison: true });
        const loss = (t: Float64Array, zz = z): number => {
          const r = ts.kernels["scalarCurvatureB"]!(t, zz, n);
          let s = 0;
          for (let p = 0; p < n; p++) s += r["R"]![p]! ** 2 * r["sqrtdetg"]![p]!;
          return s / n;
        };
        // About 60 parameters spread over every layer, and the last one (the tiles' ragged edge).
        const idx = new Set<number>();
        const stride = Math.max(7, Math.floor(theta.length / 60));
        for (let j = 0; j < theta.length; j += stride) idx.add(j);
        if (m.decoder.type === "mlp") idx.add(theta.length - 1);
        const fd = new Map<number, number>();
        let scale = 0;
        for (const j of idx) {
          const h = 1e-6 * Math.max(1, Math.abs(theta[j]!));
          const t = Float64Array.from(theta);
          t[j] = theta[j]! + h;
          const up = loss(t);
          t[j] = theta[j]! - h;
          fd.set(j, (up - loss(t)) / (2 * h));
          scale = Math.max(scale, Math.abs(fd.get(j)!));
        }
        let worst = 0;
        for (const [j, ref] of fd) worst = Math.max(worst, Math.abs(got.grad[j]! - ref) / Math.max(Math.abs(ref), 0.01 * scale));
        expect(got.grad.every(Number.isFinite)).toBe(true);
        expect(worst).toBeLessThan(1e-2);
        let worstZ = 0;
        for (let i = 0; i < 2 * n; i += 5) {
          const h = 1e-6;
          const zu = Float64Array.from(z);
          zu[i] = z[i]! + h;
          const zd = Float64Array.from(z);
          zd[i] = z[i]! - h;
          const ref = ((loss(theta, zu) - loss(theta, zd)) / (2 * h)) * n; // ∂(Σ/n)/∂z_i, per point scale
          worstZ = Math.max(worstZ, Math.abs(got.zbar[i]! * n - ref) / Math.max(Math.abs(ref), 1e-3));
        }
        expect(worstZ).toBeLessThan(2e-2);
      } finally {
        dec.destroy();
      }
    }
  }, 900_000);
});
