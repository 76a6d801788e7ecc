/**
 * The tfjs kernel target: its values against the float64 TypeScript kernels, and ∂L_curv/∂θ from
 * one level of tfjs autograd over it against central finite differences of L_curv computed in
 * float64 from the float64 kernels — every functional (∫R², F, W), both routes.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { compileModel } from "../src/emit/compile.js";
import { emitTfjs } from "../src/emit/tfjs.js";
import { modelKernels, type Route } from "../src/ir/kernels.js";
import { initialParams } from "../src/model/params.js";
import type { Model } from "../src/model/types.js";
import { loadKernelModule, type KernelModule } from "../src/runtime/kernel-module.js";
import type { Functional } from "../src/runtime/train/config.js";
import { curvatureFunctional, type CurvatureSetup } from "../src/runtime/train/losses.js";
import { potentialModel } from "../src/runtime/train/potential.js";
import { emitPotentialKernels, emitTrainingKernels, loadTfjsKernelModule } from "../src/runtime/train/tfjs-kernels.js";
import { Rng } from "../src/util/random.js";
import { ALL_ACTIVATIONS, analyticModel, mlpModel, named, paramsOf, points } from "./helpers/models.js";

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend("cpu");
});

/** Non-zero biases, so that pre-activations are not centred. */
function withBiases(model: Model): Float64Array {
  const p = paramsOf(model);
  for (let i = 0; i < p.length; i++) if (p[i] === 0) p[i] = 0.3 * Math.sin(7 * i + 1);
  return p;
}

function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-2 * scale, 1e-12));
  return err;
}

async function compareKernels(model: Model, params: Float64Array, pts: Float64Array, n: number): Promise<void> {
  const kernels = modelKernels(model, ["a", "b"]);
  const source = emitTfjs(kernels, { name: model.name, sourceHash: model.sourceHash, generator: "test" });
  const mod = await loadTfjsKernelModule(source);
  const ref = await loadKernelModule(compileModel(model, ["a", "b"]).files.get("kernels.ts")!);
  const p = tf.tensor1d(Float32Array.from(params));
  const z = tf.tensor2d(Float32Array.from(pts), [n, model.latentDim]);
  for (const k of kernels) {
    const expected = ref.kernels[k.name]!(params, pts, n);
    const got = tf.tidy(() => Object.fromEntries(Object.entries(mod.kernels[k.name]!(tf, p, z)).map(([f, t]) => [f, t.dataSync()])));
    for (const [field, values] of Object.entries(expected)) {
      const g = got[field];
      expect(g, `${k.name}.${field}`).toBeDefined();
      expect(g!.length, `${k.name}.${field} size`).toBe(values.length);
      // Route A (third derivatives, then ∂g⁻¹) loses ~1% in float32 where det g ~ 1e-4; route B does not.
      const tol = ["riemann", "ricci", "scalarCurvatureA"].includes(k.name) && field !== "detg" && field !== "sqrtdetg" ? 3e-2 : 2e-3;
      expect(maxRelError(g!, values), `${k.name}.${field}`).toBeLessThan(tol);
    }
  }
  p.dispose();
  z.dispose();
}

describe("tfjs kernels match the float64 kernels (float32: ≤ 2e-3 relative, 3e-2 for route A curvature)", () => {
  it("sphere and torus of revolution (analytic)", async () => {
    await compareKernels(
      analyticModel(["u", "v"], ["2*cos(u)*cos(v)", "2*cos(u)*sin(v)", "2*sin(u)"]),
      new Float64Array(0),
      points(2, 9, 1, -1.2, 1.2),
      9,
    );
    await compareKernels(
      analyticModel(["u", "v"], ["(3 + cos(u))*cos(v)", "(3 + cos(u))*sin(v)", "sin(u)"]),
      new Float64Array(0),
      points(2, 9, 2, -3, 3),
      9,
    );
  });
  for (const activation of ALL_ACTIVATIONS.slice(0, 5)) {
    const label = activation.kind === "named" ? activation.name : activation.formula;
    it(`MLP 2-8-8-3 ${label}`, async () => {
      const model = mlpModel({ d: 2, D: 3, hidden: [8, 8], activation, seed: 5 });
      await compareKernels(model, withBiases(model), points(2, 10, 3), 10);
    });
  }
  it("formula activation, and a torus embedding with d = 3", async () => {
    const formula = mlpModel({ d: 2, D: 4, hidden: [6], activation: { kind: "formula", formula: "x^3/3 + x" }, seed: 2 });
    await compareKernels(formula, withBiases(formula), points(2, 7, 4), 7);
    const torus = mlpModel({ d: 3, D: 4, hidden: [8], activation: named("sin"), torus: true, seed: 3 });
    await compareKernels(torus, withBiases(torus), points(3, 7, 5, -3, 3), 7);
  });
  it("emission is deterministic and has no nested tf.grad", () => {
    const model = mlpModel({ d: 2, D: 3, hidden: [8], activation: named("tanh") });
    const a = emitTrainingKernels(model, "b");
    expect(emitTrainingKernels(model, "b")).toBe(a);
    expect(a).not.toMatch(/tf\.grad|variableGrads|customGrad/);
    expect(a).toMatch(/tf\.matMul\(X\.length === 1 \? X\[0\]! : tf\.concat\(X as T\[\], 0\), W, false, true\)/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Gradients against finite differences of the float64 reference.

interface Reference {
  decoder: KernelModule;
  potential: KernelModule;
}

/** L_curv in float64 from the float64 kernels, exactly as losses.ts defines it (all points non-degenerate). */
function referenceLoss(
  ref: Reference,
  route: Route,
  functional: Functional,
  theta: Float64Array,
  phi: Float64Array,
  logTau: number,
  pts: Float64Array,
  n: number,
  w: number,
  d: number,
): number {
  const curv = ref.decoder.kernels[route === "a" ? "scalarCurvatureA" : "scalarCurvatureB"]!(theta, pts, n);
  const R = curv["R"]!;
  const s = curv["sqrtdetg"]!;
  if (functional === "R2") {
    let L = 0;
    for (let p = 0; p < n; p++) L += w * s[p]! * R[p]! ** 2;
    return L;
  }
  const ginv = ref.decoder.kernels["inverseMetric"]!(theta, pts, n)["ginv"]!;
  const f0 = ref.potential.kernels["psi"]!(phi, pts, n)["psi"]!;
  const df = ref.potential.kernels["jacobian"]!(phi, pts, n)["jacobian"]!;
  const scores = Array.from({ length: n }, (_, p) => Math.log(w * s[p]!) - f0[p]!);
  const mx = Math.max(...scores);
  const c = mx + Math.log(scores.reduce((acc, v) => acc + Math.exp(v - mx), 0));
  const tau = Math.exp(logTau);
  let L = 0;
  for (let p = 0; p < n; p++) {
    let grad2 = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) grad2 += ginv[p * d * d + i * d + j]! * df[p * d + i]! * df[p * d + j]!;
    const q = Math.exp(scores[p]! - c);
    if (functional === "F") L += q * (R[p]! + grad2);
    else {
      const f = f0[p]! + c - (d / 2) * Math.log(4 * Math.PI * tau);
      L += q * (tau * (grad2 + R[p]!) + f - d);
    }
  }
  return L;
}

describe("∂L_curv/∂θ: tfjs kernels vs central differences of the float64 reference", () => {
  const model = mlpModel({ d: 2, D: 3, hidden: [10, 10], activation: named("tanh"), seed: 7 });
  const theta = withBiases(model);
  const potModel = potentialModel({ latentDim: 2, torus: false, hidden: [8], activation: named("tanh"), seed: 11 });
  const phi = potModel.decoder.type === "mlp" ? initialParams(potModel.decoder, potModel.decoderWeights) : new Float64Array(0);
  for (let i = 0; i < phi.length; i++) if (phi[i] === 0) phi[i] = 0.2 * Math.cos(3 * i);
  const n = 16;
  const pts = points(2, n, 21, -0.8, 0.8);
  const w = 0.07;
  const logTau = Math.log(0.6);

  for (const route of ["b", "a"] as const) {
    for (const functional of ["R2", "F", "W"] as const) {
      it(`${functional}, route ${route.toUpperCase()}`, async () => {
        const ref: Reference = {
          decoder: await loadKernelModule(compileModel(model, [route]).files.get("kernels.ts")!),
          potential: await loadKernelModule(compileModel(potModel, ["b"]).files.get("kernels.ts")!),
        };
        const setup: CurvatureSetup = {
          decoder: await loadTfjsKernelModule(emitTrainingKernels(model, route)),
          potential: await loadTfjsKernelModule(emitPotentialKernels(potModel)),
          route,
          functional,
          detEpsilon: 1e-8,
          latentDim: 2,
        };
        const vTheta = tf.variable(tf.tensor1d(Float32Array.from(theta)));
        const vPhi = tf.variable(tf.tensor1d(Float32Array.from(phi)));
        const vLogTau = tf.variable(tf.scalar(logTau));
        const z = tf.tensor2d(Float32Array.from(pts), [n, 2]);
        const vars = functional === "R2" ? [vTheta] : functional === "F" ? [vTheta, vPhi] : [vTheta, vPhi, vLogTau];
        const { value, grads } = tf.variableGrads(() => {
          const r = curvatureFunctional(setup, setup.decoder.weights(tf, vTheta), vPhi, vLogTau, z, w);
          expect(r.degenerate.dataSync()[0]).toBe(0);
          if (functional !== "R2") {
            // The normalisation, recomputed in float64 from the normalised f: Σ w√det g (4πτ)^{−n/2·[W]} e^{−f} = 1.
            const f = r.f!.dataSync();
            const s = r.sqrtdetg.dataSync();
            const factor = functional === "W" ? (4 * Math.PI * Math.exp(logTau)) ** -1 : 1;
            let mass = 0;
            for (let p = 0; p < n; p++) mass += w * s[p]! * factor * Math.exp(-f[p]!);
            expect(Math.abs(mass - 1)).toBeLessThan(1e-3);
          }
          return r.value as tf.Scalar;
        }, vars);
        const L64 = (th: Float64Array, ph: Float64Array, lt: number): number =>
          referenceLoss(ref, route, functional, th, ph, lt, pts, n, w, 2);
        expect(Math.abs(value.dataSync()[0]! - L64(theta, phi, logTau))).toBeLessThan(1e-3 * Math.abs(L64(theta, phi, logTau)) + 1e-6);

        const check = (
          name: string,
          base: Float64Array | number,
          g: Float32Array,
          indices: number[],
          loss: (x: Float64Array | number) => number,
        ): void => {
          const fd: number[] = [];
          const got: number[] = [];
          for (const k of indices) {
            const h = 1e-5;
            let plus: number;
            let minus: number;
            if (typeof base === "number") {
              plus = loss(base + h);
              minus = loss(base - h);
            } else {
              const p = Float64Array.from(base);
              p[k] = base[k]! + h;
              plus = loss(p);
              p[k] = base[k]! - h;
              minus = loss(p);
            }
            fd.push((plus - minus) / (2 * h));
            got.push(g[k]!);
          }
          const scale = Math.max(...fd.map(Math.abs));
          expect(scale, `${name}: some gradient`).toBeGreaterThan(0);
          fd.forEach((f, i) => {
            expect(Math.abs(got[i]! - f), `${name}[${indices[i]}]: tfjs ${got[i]} vs FD ${f}`).toBeLessThan(
              1e-2 * Math.abs(f) + 2e-3 * scale,
            );
          });
        };
        const rng = new Rng(5);
        const thetaIdx = Array.from({ length: 24 }, () => rng.int(theta.length));
        check("θ", theta, grads[vTheta.name]!.dataSync() as Float32Array, thetaIdx, (x) => L64(x as Float64Array, phi, logTau));
        if (functional !== "R2") {
          const phiIdx = Array.from({ length: 10 }, () => rng.int(phi.length));
          check("φ", phi, grads[vPhi.name]!.dataSync() as Float32Array, phiIdx, (x) => L64(theta, x as Float64Array, logTau));
        }
        if (functional === "W")
          check("log τ", logTau, grads[vLogTau.name]!.dataSync() as Float32Array, [0], (x) => L64(theta, phi, x as number));
        for (const t of [vTheta, vPhi, vLogTau, z, value, ...Object.values(grads)]) t.dispose();
      });
    }
  }
});
