/**
 * Landmark Isomap (runtime/data/isomap.ts), the anchor of `loss.isomap`: graph geodesics against
 * exact distances, the eigen-solver against its defining equation, the chart of a flat sheet against
 * its true distances, the Swiss roll against its parameter t, and the errors a user can trigger.
 */
import { describe, expect, it } from "vitest";
import { graphDistances, isomapChart, knnGraph, symmetricEigen } from "../src/runtime/data/isomap.js";
import { swissRoll } from "../src/runtime/data/synthetic.js";
import { ranks, pearson } from "../src/runtime/eval/rank.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/random.js";

describe("landmark Isomap", () => {
  it("graph geodesics on points of a line are the distances along it", () => {
    const xs = [0, 1, 3, 3.5, 7];
    const x = Float64Array.from(xs.flatMap((v) => [v, 0]));
    const d = graphDistances(knnGraph(x, xs.length, 2, 2), 0);
    xs.forEach((v, i) => expect(d[i]).toBeCloseTo(v, 12));
  });

  it("symmetric eigenpairs satisfy A v = λ v, descending", () => {
    const rng = new Rng(4);
    const L = 7;
    const a = new Float64Array(L * L);
    for (let i = 0; i < L; i++) for (let j = 0; j <= i; j++) a[i * L + j] = a[j * L + i] = rng.normal();
    const { values, vectors } = symmetricEigen(Float64Array.from(a), L);
    for (let k = 0; k < L; k++) {
      if (k > 0) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
      for (let i = 0; i < L; i++) {
        let av = 0;
        for (let j = 0; j < L; j++) av += a[i * L + j]! * vectors[j * L + k]!;
        expect(av).toBeCloseTo(values[k]! * vectors[i * L + k]!, 10);
      }
    }
  });

  it("charts a flat sheet in R³ with its own distances (up to graph zig-zag)", () => {
    const rng = new Rng(1);
    const n = 600;
    const uv = Float64Array.from({ length: 2 * n }, () => rng.uniform() * 4);
    // An isometric embedding of the (u, v) square: orthonormal columns a, b in R³.
    const a = [0.6, 0.8, 0];
    const b = [0, 0, 1];
    const x = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const u = uv[2 * i]!;
      const v = uv[2 * i + 1]!;
      x.set([a[0]! * u + b[0]! * v, a[1]! * u + b[1]! * v, a[2]! * u + b[2]! * v], 3 * i);
    }
    const y = isomapChart(x, n, 3, { neighbours: 10, landmarks: 64, dim: 2 });
    let rel = 0;
    let pairs = 0;
    for (let t = 0; t < 500; t++) {
      const i = rng.int(n);
      const j = rng.int(n);
      const want = Math.hypot(uv[2 * i]! - uv[2 * j]!, uv[2 * i + 1]! - uv[2 * j + 1]!);
      if (want < 0.5) continue;
      const got = Math.hypot(y[2 * i]! - y[2 * j]!, y[2 * i + 1]! - y[2 * j + 1]!);
      rel += Math.abs(got - want) / want;
      pairs++;
    }
    expect(rel / pairs).toBeLessThan(0.06);
  });

  it("unrolls the Swiss roll: one axis ranks like t, the chart is centred", () => {
    const ds = swissRoll({ n: 1500, seed: 3 });
    const y = isomapChart(ds.x, ds.n, 3, { neighbours: 10, landmarks: 128, dim: 2 });
    const t = Array.from({ length: ds.n }, (_, i) => ds.truth!.values[2 * i]!);
    const axis0 = Array.from({ length: ds.n }, (_, i) => y[2 * i]!);
    expect(Math.abs(pearson(ranks(axis0), ranks(t)))).toBeGreaterThan(0.99);
    const mean = axis0.reduce((s, v) => s + v, 0) / ds.n;
    expect(Math.abs(mean)).toBeLessThan(1e-9);
  });

  it("a disconnected neighbour graph is a UserError naming loss.isomap.neighbours", () => {
    const x = Float64Array.from([0, 0, 0.1, 0, 0.2, 0, 100, 0, 100.1, 0, 100.2, 0]);
    expect(() => isomapChart(x, 6, 2, { neighbours: 2, landmarks: 4, dim: 1 })).toThrow(UserError);
    expect(() => isomapChart(x, 6, 2, { neighbours: 2, landmarks: 4, dim: 1 })).toThrow(/loss\.isomap\.neighbours/);
  });
});
