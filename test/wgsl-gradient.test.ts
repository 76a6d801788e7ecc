/**
 * WGSL adjoint kernels: ∂L/∂θ (every weight and bias) and ∂L/∂z of L = mean R²√det g, against
 * central finite differences of the float64 TypeScript kernels' loss, on random MLPs of every
 * activation (route B; route A on a few), d = 2 and 3, and the torus embedding. Also: chunked
 * batches, the Adam kernel against a float64 Adam, training steps, the pipeline cache and a lost
 * device. Outputs (and the tapes) are poisoned with NaN before every run.
 *
 * The batch is restricted to points where g is well conditioned (cond ≤ 20; ≤ 10 for route A),
 * where f32 keeps R accurate (see wgsl-curvature.test.ts). Relative error of a gradient entry:
 * |x − ref| / max(|ref|, 1% of the largest |ref| of the vector).
 */
import { afterAll, describe, expect, it } from "vitest";
import { acquireGpu, GPU_INSTALL_HINT, gpuAvailability, type GpuContext } from "../src/runtime/webgpu/device.js";
import { KernelRunner, kernelKey } from "../src/runtime/webgpu/kernels.js";
import { WebGpuDecoder } from "../src/runtime/webgpu/decoder.js";
import { ADAM_DEFAULTS, adamStepCpu } from "../src/emit/wgsl-adam.js";
import type { Route } from "../src/ir/kernels.js";
import { activationLabel } from "../src/ir/program.js";
import type { Activation, Model } from "../src/model/types.js";
import type { KernelModule } from "../src/runtime/kernel-module.js";
import { ALL_ACTIVATIONS, compiled, mlpModel, named, paramsOf, points } from "./helpers/models.js";

const inCI = !!process.env.CI && process.env.CI !== "false";
const gpu = await gpuAvailability();
if (!gpu.ok && !inCI) {
  const fix = gpu.reason.includes(GPU_INSTALL_HINT) ? "" : `\n!!! Without a GPU, as root: ${GPU_INSTALL_HINT}`;
  console.warn(`\n!!! SKIPPING WGSL gradient tests (no WebGPU adapter): ${gpu.reason}${fix}\n`);
}

const TOL = 1e-3;
const f32 = (a: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(a));

function relError(x: ArrayLike<number>, ref: ArrayLike<number>, floor = 0.01): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  let worst = 0;
  for (let i = 0; i < ref.length; i++)
    worst = Math.max(worst, Math.abs(x[i]! - ref[i]!) / Math.max(Math.abs(ref[i]!), floor * scale, 1e-30));
  return worst;
}

/** Smallest and largest eigenvalue of a symmetric d×d matrix by cyclic Jacobi (d ≤ 3 here). */
function conditionNumber(a: number[][]): number {
  const n = a.length;
  const m = a.map((r) => [...r]);
  for (let sweep = 0; sweep < 50; sweep++)
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(m[p]![q]!) < 1e-300) continue;
        const th = (m[q]![q]! - m[p]![p]!) / (2 * m[p]![q]!);
        const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [x, y] = [m[k]![p]!, m[k]![q]!];
          m[k]![p] = c * x - s * y;
          m[k]![q] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const [x, y] = [m[p]![k]!, m[q]![k]!];
          m[p]![k] = c * x - s * y;
          m[q]![k] = s * x + c * y;
        }
      }
  const eig = m.map((r, i) => r[i]!);
  return Math.min(...eig) > 0 ? Math.max(...eig) / Math.min(...eig) : Infinity;
}

interface Case {
  model: Model;
  ts: KernelModule;
  theta: Float64Array;
  z: Float64Array;
  n: number;
}

/**
 * A model, its f32-rounded parameters and up to `want` well-conditioned f32 points. `make(seed)`
 * builds the model; seeds are tried in turn until one gives at least 16 such points (a nearly linear
 * random network has about the same, possibly large, condition number everywhere).
 */
async function setup(make: (seed: number) => Model, seed: number, want: number, lo = -1, hi = 1, maxCond = 20): Promise<Case> {
  const candidates = 96;
  for (let s = seed; s < seed + 10; s++) {
    const model = make(s);
    const d = model.latentDim;
    const ts = await compiled(model);
    const theta = f32(paramsOf(model));
    const all = f32(points(d, candidates, s + 1000, lo, hi));
    const g = ts.kernels["metric"]!(theta, all, candidates)["g"]!;
    const keep: number[] = [];
    for (let p = 0; p < candidates && keep.length < want; p++) {
      const m = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => g[p * d * d + i * d + j]!));
      if (conditionNumber(m) <= maxCond) keep.push(p);
    }
    if (keep.length < Math.min(16, want)) continue;
    const z = Float64Array.from(keep.flatMap((p) => Array.from(all.subarray(p * d, p * d + d))));
    return { model, ts, theta, z, n: keep.length };
  }
  throw new Error(`no seed in ${seed}…${seed + 9} gives well-conditioned points`);
}

/** mean R²√det g in float64 by the TypeScript kernel of `route`. */
function tsLoss(c: Case, route: Route, theta = c.theta, z = c.z, n = c.n): number {
  const r = c.ts.kernels[route === "a" ? "scalarCurvatureA" : "scalarCurvatureB"]!(theta, z, n);
  let s = 0;
  for (let p = 0; p < n; p++) s += r["R"]![p]! ** 2 * r["sqrtdetg"]![p]!;
  return s / n;
}

/** Central differences of the float64 loss for every parameter. */
function fdGradient(c: Case, route: Route): Float64Array {
  const grad = new Float64Array(c.theta.length);
  const t = Float64Array.from(c.theta);
  for (let j = 0; j < t.length; j++) {
    const h = 1e-6 * Math.max(1, Math.abs(c.theta[j]!));
    t[j] = c.theta[j]! + h;
    const up = tsLoss(c, route, t);
    t[j] = c.theta[j]! - h;
    const down = tsLoss(c, route, t);
    t[j] = c.theta[j]!;
    grad[j] = (up - down) / (2 * h);
  }
  return grad;
}

/** Central differences of the loss with respect to every latent coordinate. */
function fdLatent(c: Case, route: Route): Float64Array {
  const d = c.model.latentDim;
  const out = new Float64Array(c.n * d);
  for (let p = 0; p < c.n; p++)
    for (let i = 0; i < d; i++) {
      const z = Float64Array.from(c.z.subarray(p * d, p * d + d));
      const h = 1e-6;
      z[i] = c.z[p * d + i]! + h;
      const up = tsLoss(c, route, c.theta, z, 1);
      z[i] = c.z[p * d + i]! - h;
      const down = tsLoss(c, route, c.theta, z, 1);
      out[p * d + i] = (up - down) / (2 * h) / c.n;
    }
  return out;
}

describe.skipIf(!gpu.ok && !inCI)("WGSL adjoint kernels vs float64 finite differences", () => {
  const ctx = (): GpuContext => {
    if (!gpu.ok) throw new Error(`no WebGPU adapter under CI=true (a failure, not a skip): ${gpu.reason}`);
    return gpu.ctx;
  };
  let runner: KernelRunner | undefined;
  const shared = (): KernelRunner => (runner ??= new KernelRunner(ctx()));
  afterAll(() => runner?.destroy());

  async function checkGradient(label: string, c: Case, route: Route, opts: { latent?: boolean } = {}): Promise<void> {
    expect(c.n, `${label}: well-conditioned points`).toBeGreaterThanOrEqual(8);
    const dec = await WebGpuDecoder.create(ctx(), c.model, { route, runner: shared() });
    dec.setParams(c.theta);
    const r = await dec.gradient(c.z, c.n, { poison: true });
    dec.destroy();
    expect(r.grad.length).toBe(c.theta.length);
    expect(r.grad.every(Number.isFinite), `${label}: every gradient entry written and finite`).toBe(true);
    expect(r.zbar.every(Number.isFinite), `${label}: every z̄ written and finite`).toBe(true);
    const loss = tsLoss(c, route);
    const fd = fdGradient(c, route);
    const errors: Record<string, number> = { loss: Math.abs(r.meanLoss - loss) / loss, grad: relError(r.grad, fd) };
    if (opts.latent) errors["zbar"] = relError(r.zbar, fdLatent(c, route));
    console.info(
      label,
      `route ${route}`,
      c.n,
      "points",
      c.theta.length,
      "params",
      JSON.stringify(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.toExponential(1)]))),
    );
    for (const [k, e] of Object.entries(errors)) expect(e, `${label} (route ${route}): ${k} relative error`).toBeLessThanOrEqual(TOL);
  }

  const activations: Activation[] = [...ALL_ACTIVATIONS, { kind: "formula", formula: "x + 0.1*sin(3*x)" }];
  for (const [i, act] of activations.entries()) {
    it(`2-8-8-4 MLP, ${activationLabel(act)}: ∂L/∂θ (route B) against finite differences`, async () => {
      const c = await setup((seed) => mlpModel({ d: 2, D: 4, hidden: [8, 8], activation: act, seed }), 20 + 10 * i, 24);
      await checkGradient(activationLabel(act), c, "b", { latent: i === 0 });
    });
  }

  it("tanh MLP: ∂L/∂θ and ∂L/∂z by route A (third-order jets, fourth derivatives in the adjoint)", async () => {
    // Route A cancels the ∇³Ψ terms of ∂Γ in f32: its accuracy needs better-conditioned points.
    const c = await setup((seed) => mlpModel({ d: 2, D: 4, hidden: [8, 8], activation: named("tanh"), seed }), 20, 24, -1, 1, 10);
    await checkGradient("tanh", c, "a", { latent: true });
  });

  it("torus-embedding sin MLP: ∂L/∂θ and ∂L/∂z (through the embedding)", async () => {
    const c = await setup(
      (seed) => mlpModel({ d: 2, D: 4, hidden: [8], activation: named("sin"), torus: true, seed }),
      31,
      24,
      -Math.PI,
      Math.PI,
    );
    await checkGradient("torus", c, "b", { latent: true });
  });

  it("d = 3 softplus MLP: ∂L/∂θ (route B)", async () => {
    const c = await setup((seed) => mlpModel({ d: 3, D: 6, hidden: [10], activation: named("softplus"), seed }), 34, 16);
    await checkGradient("d=3", c, "b", { latent: true });
  });

  it("a batch processed in chunks, and either weight-reduction kernel, give the gradient of the whole batch", async () => {
    const model = mlpModel({ d: 2, D: 4, hidden: [8, 8], activation: named("tanh"), seed: 20 }); // pipelines already compiled
    const theta = f32(paramsOf(model));
    const n = 150;
    const z = f32(points(2, n, 41));
    const run = async (opts: { maxChunk?: number; reduce?: "tiled" | "points" }) => {
      const dec = await WebGpuDecoder.create(ctx(), model, { runner: shared(), ...opts });
      dec.setParams(theta);
      const r = await dec.gradient(z, n, { poison: true });
      dec.destroy();
      return { ...r, chunk: dec.chunk, reduce: dec.reduce };
    };
    const tiled = await run({ reduce: "tiled" });
    const lanes = await run({ reduce: "points" });
    const chunked = await run({ maxChunk: 64 });
    expect([tiled.reduce, lanes.reduce, chunked.chunk]).toEqual(["tiled", "points", 64]);
    for (const b of [lanes, chunked]) {
      expect(relError(b.grad, tiled.grad)).toBeLessThan(1e-4);
      expect(relError(b.zbar, tiled.zbar)).toBeLessThan(1e-6);
      expect(Math.abs(b.meanLoss - tiled.meanLoss) / tiled.meanLoss).toBeLessThan(1e-6);
    }
  });

  it("Adam kernel matches a float64 Adam over two steps; training steps lower the loss", async () => {
    const c = await setup((seed) => mlpModel({ d: 2, D: 4, hidden: [8, 8], activation: named("tanh"), seed }), 20, 32);
    const dec = await WebGpuDecoder.create(ctx(), c.model, { runner: shared() });
    dec.setParams(c.theta);
    const hyper = { ...ADAM_DEFAULTS, lr: 1e-2, weightDecay: 1e-3 };
    const theta = Float64Array.from(c.theta);
    const m = new Float64Array(theta.length);
    const v = new Float64Array(theta.length);
    for (let t = 1; t <= 2; t++) {
      const { grad } = await dec.gradient(c.z, c.n, { poison: true });
      await dec.adamStep(hyper);
      adamStepCpu(theta, grad, m, v, hyper, t);
      const got = await dec.readParams();
      let worst = 0;
      for (let i = 0; i < theta.length; i++) worst = Math.max(worst, Math.abs(got[i]! - theta[i]!));
      expect(worst, `Adam step ${t}: max |θ_gpu − θ_f64|`).toBeLessThan(1e-5);
      dec.setParams(theta); // keep both on the same (f32-rounded) trajectory
    }
    const first = await dec.trainStep(c.z, c.n, { lr: 1e-3 });
    let last = first!;
    for (let s = 0; s < 5; s++) last = (await dec.trainStep(c.z, c.n, { lr: 1e-3 }))!;
    dec.destroy();
    expect(last).toBeLessThan(first!);
  });

  it("pipelines are cached per kernel text", async () => {
    const model = mlpModel({ d: 2, D: 4, hidden: [8, 8], activation: named("tanh"), seed: 20 });
    const dec1 = await WebGpuDecoder.create(ctx(), model, { runner: shared() });
    await dec1.prepareTraining();
    const before = shared().compiled;
    const dec2 = await WebGpuDecoder.create(ctx(), model, { runner: shared() });
    await dec2.prepareTraining();
    expect(shared().compiled).toBe(before);
    expect(kernelKey(dec1.set.curvature.code)).toMatch(/^[0-9a-f]{16}$/);
    expect(kernelKey(dec1.set.curvature.code)).toBe(kernelKey(dec2.set.curvature.code));
    dec1.destroy();
    dec2.destroy();
  });

  it("a lost device fails with a clear message instead of hanging", async () => {
    const own = await acquireGpu();
    const dec = await WebGpuDecoder.create(own, mlpModel({ d: 2, D: 3, hidden: [4], activation: named("tanh") }));
    own.destroy();
    await expect(dec.curvature(new Float64Array(8), 4)).rejects.toThrow(/device was lost.*--backend cpu.*reason: destroyed/s);
  });
});
