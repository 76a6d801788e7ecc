/**
 * The research options and chart-fixing loss terms (losses.ts): each against a hand-computed case,
 * each term's gradient against central finite differences of the loss, the regulariser points,
 * `init.from`, and bad config values.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../src/model/load.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { chartTerms, contractiveTerm, curvatureFunctional, decoderJacobianNorm, mixPoints } from "../src/runtime/train/losses.js";
import { regularizerPoints } from "../src/runtime/train/regularizer-points.js";
import { PART_NAMES, Session, type LossWeights } from "../src/runtime/train/session.js";
import { emitTrainingKernels, loadTfjsKernelModule, type TfjsKernelModule } from "../src/runtime/train/tfjs-kernels.js";
import { mixSeed } from "../src/runtime/train/trainer.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/random.js";
import { analyticModel } from "./helpers/models.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-loss-terms-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend("cpu");
});

const analytic = async (formulas: string[]): Promise<TfjsKernelModule> =>
  loadTfjsKernelModule(emitTrainingKernels(analyticModel(["x", "y"], formulas), "b"));
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const scalar = (t: tf.Tensor): number => t.dataSync()[0]!;

describe("hand-computed cases", () => {
  it("contractive: the batch max and the batch mean of max(‖J‖ − δ, 0) differ as computed by hand", () => {
    const norms = tf.tensor1d([0.5, 2, 3.5, 1]);
    expect(scalar(contractiveTerm(norms, 1, "max"))).toBeCloseTo(2.5, 6);
    expect(scalar(contractiveTerm(norms, 1, "mean"))).toBeCloseTo((0 + 1 + 2.5 + 0) / 4, 6);
    expect(scalar(contractiveTerm(norms, 4, "max"))).toBe(0);
  });

  it("decoder Jacobian norm of Ψ(x, y) = (a x, b y, x y) is √(a² + b² + x² + y²)", async () => {
    const dec = await analytic(["2*x", "3*y", "x*y"]);
    const z = tf.tensor2d([0.5, -1, 0, 0.25], [2, 2]);
    const norms = values(decoderJacobianNorm(dec.decoderJets(tf, [], z, 1), 2));
    expect(norms[0]).toBeCloseTo(Math.sqrt(4 + 9 + 1 + 0.25), 5);
    expect(norms[1]).toBeCloseTo(Math.sqrt(4 + 9 + 0.0625 + 0), 5);
  });

  const zs = tf.tensor2d([0.3, -0.2, -0.7, 0.9, 1.1, 0.4, 0, 0], [4, 2]);
  const xs = [0.3, -0.7, 1.1, 0];

  it("an isometric decoder (rotation × 2) has isometry, conformality and volume 0", async () => {
    const dec = await analytic(["2*(0.6*x + 0.8*y)", "2*(0.8*x - 0.6*y)", "0*x"]);
    const c = chartTerms(dec, [], zs, 1e-6);
    expect(Math.abs(scalar(c.isometry))).toBeLessThan(1e-6);
    expect(Math.abs(scalar(c.conformality))).toBeLessThan(1e-6);
    expect(Math.abs(scalar(c.volume))).toBeLessThan(1e-10);
  });

  it("a conformal decoder (complex exp, g = e^{2x} I) has conformality 0 and the closed-form isometry and volume", async () => {
    const dec = await analytic(["exp(x)*cos(y)", "exp(x)*sin(y)", "0*x"]);
    const c = chartTerms(dec, [], zs, 1e-6);
    expect(Math.abs(scalar(c.conformality))).toBeLessThan(1e-5);
    const mean = (f: (x: number) => number) => xs.reduce((s, x) => s + f(x), 0) / xs.length;
    // Tr G = 2e^{2x}, Tr G² = 2e^{4x}: 2·mean(2e^{4x}) / mean(2e^{2x})² − 1.
    const iso = mean((x) => Math.exp(4 * x)) / mean((x) => Math.exp(2 * x)) ** 2 - 1;
    expect(scalar(c.isometry)).toBeCloseTo(iso, 4);
    // log √det G = 2x: population variance 4·var(x).
    const mx = mean((x) => x);
    expect(scalar(c.volume)).toBeCloseTo(4 * mean((x) => (x - mx) ** 2), 4);
  });

  it("an anisotropic linear decoder (a x, b y) has conformality = isometry = 2(a⁴ + b⁴)/(a² + b²)² − 1", async () => {
    const dec = await analytic(["1*x", "3*y", "0*x"]);
    const c = chartTerms(dec, [], zs, 1e-6);
    expect(scalar(c.conformality)).toBeCloseTo((2 * (1 + 81)) / 100 - 1, 5);
    expect(scalar(c.isometry)).toBeCloseTo((2 * (1 + 81)) / 100 - 1, 5);
  });

  it("ε-regularised inverse: R of the paraboloid (x, y, (a x² + b y²)/2) at 0 is 2ab/(1 + ε)² on both routes; √det g stays unshifted", async () => {
    const a = 0.7;
    const b = -1.3;
    const model = analyticModel(["x", "y"], ["x", "y", `(${a}*x^2 + ${b}*y^2)/2`]);
    const z = tf.tensor2d([0, 0], [1, 2]);
    for (const route of ["a", "b"] as const) {
      const dec = await loadTfjsKernelModule(emitTrainingKernels(model, route));
      for (const eps of [0, 0.1, 0.5]) {
        const setup = {
          decoder: dec,
          potential: null,
          route,
          functional: "R2" as const,
          detEpsilon: 1e-6,
          inverseMetricEpsilon: eps,
          latentDim: 2,
        };
        const r = curvatureFunctional(setup, [], null, null, z, 1);
        const R = (2 * a * b) / (1 + eps) ** 2;
        expect(scalar(r.R)).toBeCloseTo(R, 5);
        expect(scalar(r.sqrtdetg)).toBeCloseTo(1, 6);
        expect(scalar(r.value)).toBeCloseTo(R * R, 5);
      }
    }
  });

  it("mixup points: α z_p + (1 − α) z_π(p), wrapped to (−π, π] on a torus", () => {
    const z = tf.tensor2d([3, 0, -3, 1, 0.5, -0.5], [3, 2]);
    const alpha = Float32Array.of(0.25, 1.2, -0.1);
    const perm = Int32Array.of(1, 2, 0);
    const want = [
      [0.25 * 3 + 0.75 * -3, 0.25 * 0 + 0.75 * 1],
      [1.2 * -3 - 0.2 * 0.5, 1.2 * 1 - 0.2 * -0.5],
      [-0.1 * 0.5 + 1.1 * 3, -0.1 * -0.5 + 1.1 * 0],
    ].flat();
    values(mixPoints(z, alpha, perm, false)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const wrap = (v: number) => v - 2 * Math.PI * Math.round(v / (2 * Math.PI));
    const wrapped = values(mixPoints(z, alpha, perm, true));
    wrapped.forEach((v, i) => expect(v).toBeCloseTo(wrap(want[i]!), 5));
    expect(wrapped.every((v) => v > -Math.PI && v <= Math.PI)).toBe(true);
    expect(wrapped[2]).toBeCloseTo(-3.7 + 2 * Math.PI, 5); // −3.7 wraps
  });

  it("regulariser points: a pure function of (seed, step) following the documented recipe", () => {
    const a = regularizerPoints(7, 12, 50, 0.2);
    const b = regularizerPoints(7, 12, 50, 0.2);
    expect(Array.from(a.alpha)).toEqual(Array.from(b.alpha));
    expect(Array.from(a.perm)).toEqual(Array.from(b.perm));
    expect(Array.from(regularizerPoints(7, 13, 50, 0.2).alpha)).not.toEqual(Array.from(a.alpha));
    expect([...a.perm].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.alpha.every((v) => v >= -0.2 && v <= 1.2)).toBe(true);
    const rng = new Rng(mixSeed(7, 3, 12));
    expect(a.alpha[0]).toBe(Math.fround(-0.2 + 1.4 * rng.uniform()));
  });
});

/** A small autoencoder session with only the given loss weights (the rest 0). */
async function session(weights: Partial<LossWeights>, inverseMetricEpsilon = 0): Promise<Session> {
  const path = join(dir, "small.model.json");
  writeFileSync(
    path,
    JSON.stringify({
      name: "small",
      latentDim: 2,
      outputDim: 3,
      decoder: {
        type: "mlp",
        layers: [
          { units: 8, activation: "tanh" },
          { units: 8, activation: "tanh" },
          { units: 3, activation: "linear" },
        ],
      },
      encoder: {
        layers: [
          { units: 8, activation: "tanh" },
          { units: 2, activation: "linear" },
        ],
      },
      weights: { seed: 5 },
    }),
  );
  const model = loadModel(path);
  const dec = await loadTfjsKernelModule(emitTrainingKernels(model, "b"));
  const w: LossWeights = {
    recon: 0,
    curv: 0,
    sign: 1,
    uniformity: 0,
    moments: 4,
    contractive: 0,
    delta: 0,
    contractiveReduce: "max",
    decoderContractive: 0,
    decoderDelta: 0,
    decoderContractiveReduce: "max",
    isometry: 0,
    volume: 0,
    conformality: 0,
    isomap: 0,
    ...weights,
  };
  return new Session(model, false, dec, null, null, w, "b", "R2", 1e-6, { value: 1, learn: false }, inverseMetricEpsilon);
}

/** Directional derivative of the step loss along a random unit direction v: autograd vs central differences. */
function checkGradient(s: Session, varName: "encoder" | "decoder"): { analytic: number; numeric: number } {
  const n = 12;
  const rng = new Rng(3);
  const x = tf.tensor2d(
    Float32Array.from({ length: n * 3 }, () => 2 * rng.normal()),
    [n, 3],
  );
  const reg = regularizerPoints(1, 1, n, 0.2);
  const anchor = tf.tensor2d(
    Float32Array.from({ length: n * 2 }, () => rng.normal()),
    [n, 2],
  );
  const v = s.variable(varName);
  const theta = Float32Array.from(v.dataSync());
  const dir = Float32Array.from(theta, () => rng.normal());
  const norm = Math.hypot(...dir);
  dir.forEach((d, i) => (dir[i] = d / norm));
  const lossAt = (t: number): number => {
    v.assign(tf.tensor1d(theta.map((th, i) => th + t * dir[i]!)));
    return tf.tidy(() => scalar(s.stepLoss(x, null, reg, anchor).total));
  };
  v.assign(tf.tensor1d(theta));
  const { grads } = tf.variableGrads(() => s.stepLoss(x, null, reg, anchor).total as tf.Scalar, [v]);
  const g = grads[v.name]!.dataSync();
  const analytic = dir.reduce((acc, d, i) => acc + d * g[i]!, 0);
  const h = 1e-2;
  const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
  v.assign(tf.tensor1d(theta));
  return { analytic, numeric };
}

describe("gradients against central finite differences (float32)", () => {
  const cases: [string, Partial<LossWeights>, number, ("encoder" | "decoder")[]][] = [
    ["contractive (max)", { contractive: 1, delta: 0.2, contractiveReduce: "max" }, 0, ["encoder"]],
    ["contractive (mean)", { contractive: 1, delta: 0.2, contractiveReduce: "mean" }, 0, ["encoder"]],
    ["decoderContractive (max)", { decoderContractive: 1, decoderDelta: 0.1, decoderContractiveReduce: "max" }, 0, ["encoder", "decoder"]],
    [
      "decoderContractive (mean)",
      { decoderContractive: 1, decoderDelta: 0.1, decoderContractiveReduce: "mean" },
      0,
      ["encoder", "decoder"],
    ],
    ["isometry", { isometry: 1 }, 0, ["decoder"]],
    ["volume", { volume: 1 }, 0, ["decoder"]],
    ["conformality", { conformality: 1 }, 0, ["decoder"]],
    ["isomap anchor", { isomap: 1 }, 0, ["encoder"]],
    ["∫R² dμ with (g + 0.1 I)⁻¹", { curv: 1 }, 0.1, ["decoder"]],
  ];
  for (const [name, weights, eps, vars] of cases)
    it(name, async () => {
      const s = await session(weights, eps);
      try {
        for (const varName of vars) {
          const { analytic, numeric } = checkGradient(s, varName);
          expect(Math.abs(analytic), `${name} ∂/∂${varName} is not ≈ 0`).toBeGreaterThan(1e-3);
          expect(Math.abs(numeric - analytic), `${name} ∂/∂${varName}: ${analytic} vs FD ${numeric}`).toBeLessThan(
            2e-2 * Math.abs(analytic) + 1e-4,
          );
        }
      } finally {
        s.dispose();
      }
    });

  it("the chart-fixing terms send no gradient into the encoder", async () => {
    const s = await session({ isometry: 1, volume: 1, conformality: 1 });
    try {
      const { analytic } = checkGradient(s, "encoder");
      expect(analytic).toBe(0);
    } finally {
      s.dispose();
    }
  });

  it("every new term is a logged part", () => {
    for (const k of ["decoderContractive", "isometry", "volumeVariance", "conformality"]) expect(PART_NAMES).toContain(k);
  });
});

describe("config", () => {
  const parse = (over: Record<string, unknown>) =>
    parseTrainConfig({ name: "c", model: "m.json", dataset: { kind: "swiss-roll" }, epochs: 1, ...over }, { baseDir: dir, cwd: dir });
  it("defaults: contractive max, chart terms off, ε 0, η 0.2, no init", () => {
    const c = parse({});
    expect(c.loss.contractive.reduce).toBe("max");
    expect(c.loss.decoderContractive).toEqual({ weight: 0, delta: 1, reduce: "max" });
    expect([c.loss.isometry.weight, c.loss.volume.weight, c.loss.conformality.weight, c.loss.inverseMetricEpsilon]).toEqual([0, 0, 0, 0]);
    expect(c.loss.regularizerPoints.eta).toBe(0.2);
    expect(c.initPath).toBeNull();
    expect(parse({ init: { from: "runs/a" } }).initPath).toBe(join(dir, "runs/a"));
    expect(parse({ init: { from: "runs/a" } }).hash).not.toBe(parse({ init: { from: "runs/b" } }).hash);
  });
  const bad: [string, Record<string, unknown>][] = [
    ["loss.contractive.reduce", { loss: { contractive: { reduce: "median" } } }],
    ["loss.decoderContractive.weight", { loss: { decoderContractive: { weight: -1 } } }],
    ["loss.inverseMetricEpsilon", { loss: { inverseMetricEpsilon: -0.1 } }],
    ["loss.isometry.weight", { loss: { isometry: { weight: "1" } } }],
    ["loss.volume", { loss: { volume: { weight: 1, eta: 0.2 } } }],
    ["loss.regularizerPoints.eta", { loss: { regularizerPoints: { eta: -0.5 } } }],
    ["init.from", { init: { from: "" } }],
    ["init", { init: { from: "runs/a", exact: true } }],
  ];
  for (const [field, over] of bad)
    it(`bad ${field} is a UserError naming it`, () => {
      let err: unknown;
      try {
        parse(over);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toContain(field);
    });
});
