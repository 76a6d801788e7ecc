import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initialParams } from "../src/model/params.js";
import type { Activation, AnalyticDecoder, MlpDecoder, Model } from "../src/model/types.js";
import {
  compileFormula,
  installHigherOrderGradients,
  restoreDefaultGradients,
  tfActivation,
} from "../src/runtime/oracle/tfjs-activations.js";
import { oracleCurvature, oracleDerivatives, oracleForward } from "../src/runtime/oracle/tfjs-autograd.js";
import { UserError } from "../src/util/errors.js";

function analytic(variables: string[], formulas: string[], constants: Record<string, number> = {}): Model {
  const decoder: AnalyticDecoder = { type: "analytic", variables, constants, formulas };
  return {
    name: "analytic",
    latentDim: variables.length,
    outputDim: formulas.length,
    decoder,
    decoderWeights: { kind: "seed", seed: 0 },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 0 },
    sourceHash: "",
  };
}

function mlp(widths: number[], activation: Activation, torusEmbedding: boolean, seed = 1): { model: Model; params: Float64Array } {
  const [d, ...units] = widths;
  if (d === undefined) throw new Error("widths");
  const decoder: MlpDecoder = {
    type: "mlp",
    inputDim: d,
    torusEmbedding,
    layers: units.map((u, k) => ({ units: u, activation: k === units.length - 1 ? { kind: "named", name: "linear" } : activation })),
  };
  const model: Model = {
    name: "mlp",
    latentDim: d,
    outputDim: units[units.length - 1] ?? 0,
    decoder,
    decoderWeights: { kind: "seed", seed },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 0 },
    sourceHash: "",
  };
  const params = initialParams(decoder, model.decoderWeights);
  // Non-zero biases, so that the pre-activations are not centred.
  for (let i = 0; i < params.length; i++) if (params[i] === 0) params[i] = 0.3 * Math.sin(7 * i + seed);
  return { model, params };
}

/** n points, coordinate i uniform in [lo_i, hi_i] (deterministic). */
function grid(n: number, ranges: [number, number][]): Float64Array {
  const out = new Float64Array(n * ranges.length);
  for (let p = 0; p < n; p++)
    ranges.forEach(([lo, hi], i) => {
      const frac = ((((p + 0.5) * (0.6180339887 + 0.1 * i)) % 1) + 1) % 1;
      out[p * ranges.length + i] = lo + (hi - lo) * frac;
    });
  return out;
}

const at = (x: Float64Array, i: number): number => x[i] ?? NaN;

beforeAll(async () => {
  await tf.setBackend("cpu");
  installHigherOrderGradients();
});

describe("scalar curvature of analytic surfaces", () => {
  it("sphere of radius r: R = 2/r²", () => {
    const r = 1.7;
    const model = analytic(["t", "p"], ["r*sin(t)*cos(p)", "r*sin(t)*sin(p)", "r*cos(t)"], { r });
    const n = 16;
    const { R, g } = oracleCurvature(
      model,
      new Float64Array(),
      grid(n, [
        [0.5, 2.6],
        [-3, 3],
      ]),
      n,
    );
    for (let p = 0; p < n; p++) {
      expect(Math.abs(at(R, p) - 2 / r ** 2)).toBeLessThan(1e-3 * (2 / r ** 2));
      expect(at(g, p * 4)).toBeCloseTo(r * r, 4);
    }
  });

  it("plane: R = 0 (linear, and in polar coordinates)", () => {
    const linear = analytic(["x", "y"], ["x + 2*y", "x - y", "0.5*x", "0"]);
    const polar = analytic(["r", "t"], ["r*cos(t)", "r*sin(t)", "0"]);
    const n = 8;
    for (const model of [linear, polar]) {
      const { R } = oracleCurvature(
        model,
        new Float64Array(),
        grid(n, [
          [0.5, 2],
          [-3, 3],
        ]),
        n,
      );
      for (let p = 0; p < n; p++) expect(Math.abs(at(R, p))).toBeLessThan(1e-4);
    }
  });

  it("torus of revolution a=3, b=1: R = 2cos u/(b(a + b cos u))", () => {
    const a = 3;
    const b = 1;
    const model = analytic(["u", "v"], ["(a + b*cos(u))*cos(v)", "(a + b*cos(u))*sin(v)", "b*sin(u)"], { a, b });
    const n = 24;
    const points = grid(n, [
      [-Math.PI, Math.PI],
      [-Math.PI, Math.PI],
    ]);
    const { R } = oracleCurvature(model, new Float64Array(), points, n);
    for (let p = 0; p < n; p++) {
      const u = at(points, 2 * p);
      expect(Math.abs(at(R, p) - (2 * Math.cos(u)) / (b * (a + b * Math.cos(u))))).toBeLessThan(1e-3);
    }
  });

  it("3-sphere of radius r in R^4 (d = 3): R = 6/r²", () => {
    const r = 1.3;
    const model = analytic(["c", "t", "p"], ["r*cos(c)", "r*sin(c)*cos(t)", "r*sin(c)*sin(t)*cos(p)", "r*sin(c)*sin(t)*sin(p)"], { r });
    const n = 12;
    const { R } = oracleCurvature(
      model,
      new Float64Array(),
      grid(n, [
        [0.6, 2.5],
        [0.6, 2.5],
        [-3, 3],
      ]),
      n,
    );
    for (let p = 0; p < n; p++) expect(Math.abs(at(R, p) - 6 / r ** 2)).toBeLessThan(1e-3 * (6 / r ** 2));
  });
});

describe("MLP decoders", () => {
  it("J matches central differences of the tfjs forward pass (tanh MLP, torus embedding)", () => {
    const { model, params } = mlp([2, 16, 16, 5], { kind: "named", name: "tanh" }, true);
    const n = 6;
    const D = model.outputDim;
    const points = grid(n, [
      [-3, 3],
      [-3, 3],
    ]);
    const { J } = oracleDerivatives(model, params, points, n);
    const h = 1e-2;
    for (let i = 0; i < 2; i++) {
      const plus = Float64Array.from(points);
      const minus = Float64Array.from(points);
      for (let p = 0; p < n; p++) {
        plus[p * 2 + i] = at(points, p * 2 + i) + h;
        minus[p * 2 + i] = at(points, p * 2 + i) - h;
      }
      const fp = oracleForward(model, params, plus, n);
      const fm = oracleForward(model, params, minus, n);
      for (let p = 0; p < n; p++)
        for (let a = 0; a < D; a++) {
          const fd = (at(fp, p * D + a) - at(fm, p * D + a)) / (2 * h);
          expect(Math.abs(at(J, (p * D + a) * 2 + i) - fd)).toBeLessThan(2e-3);
        }
    }
  });

  it("H and T match central differences of J and H (softplus/gelu/formula MLP, d = 2)", () => {
    for (const activation of [
      { kind: "named", name: "softplus" },
      { kind: "named", name: "gelu" },
      { kind: "formula", formula: "x^3/3 + x - log(1 + exp(x))" },
    ] satisfies Activation[]) {
      const { model, params } = mlp([2, 8, 8, 3], activation, false, 5);
      const n = 3;
      const D = 3;
      const points = grid(n, [
        [-1, 1],
        [-1, 1],
      ]);
      const base = oracleDerivatives(model, params, points, n);
      const h = 1e-2;
      for (let k = 0; k < 2; k++) {
        const shift = (s: number): Float64Array => points.map((v, q) => (q % 2 === k ? v + s : v));
        const plus = oracleDerivatives(model, params, shift(h), n);
        const minus = oracleDerivatives(model, params, shift(-h), n);
        for (let p = 0; p < n; p++)
          for (let a = 0; a < D; a++)
            for (let i = 0; i < 2; i++) {
              const q = (p * D + a) * 2 + i;
              const fdH = (at(plus.J, q) - at(minus.J, q)) / (2 * h);
              expect(Math.abs(at(base.H, q * 2 + k) - fdH)).toBeLessThan(5e-3 * (1 + Math.abs(fdH)));
              for (let j = 0; j < 2; j++) {
                const fdT = (at(plus.H, q * 2 + j) - at(minus.H, q * 2 + j)) / (2 * h);
                expect(Math.abs(at(base.T, (q * 2 + j) * 2 + k) - fdT)).toBeLessThan(5e-3 * (1 + Math.abs(fdT)));
              }
            }
      }
    }
  });

  it("intrinsic R agrees with the Gauss equation from J and H (sin MLP into R^3)", () => {
    const { model, params } = mlp([2, 12, 12, 3], { kind: "named", name: "sin" }, false, 3);
    const n = 10;
    const D = 3;
    const points = grid(n, [
      [-1, 1],
      [-1, 1],
    ]);
    const { J, H, R, g } = oracleCurvature(model, params, points, n);
    for (let p = 0; p < n; p++) {
      // R = 2K, K = (⟨n11,n22⟩ − |n12|²)/det g, n_ij = normal part of H_ij.
      const j = (a: number, i: number): number => at(J, (p * D + a) * 2 + i);
      const hh = (a: number, i: number, k: number): number => at(H, ((p * D + a) * 2 + i) * 2 + k);
      const g00 = at(g, p * 4);
      const g01 = at(g, p * 4 + 1);
      const g11 = at(g, p * 4 + 3);
      const det = g00 * g11 - g01 * g01;
      const normal = (i: number, k: number): number[] => {
        const jh = [0, 1].map((m) => [0, 1, 2].reduce((s, a) => s + j(a, m) * hh(a, i, k), 0));
        const c0 = (g11 * (jh[0] ?? 0) - g01 * (jh[1] ?? 0)) / det;
        const c1 = (g00 * (jh[1] ?? 0) - g01 * (jh[0] ?? 0)) / det;
        return [0, 1, 2].map((a) => hh(a, i, k) - c0 * j(a, 0) - c1 * j(a, 1));
      };
      const dot = (x: number[], y: number[]): number => x.reduce((s, v, a) => s + v * (y[a] ?? 0), 0);
      const n11 = normal(0, 0);
      const n22 = normal(1, 1);
      const n12 = normal(0, 1);
      const gauss = (2 * (dot(n11, n22) - dot(n12, n12))) / det;
      expect(Math.abs(at(R, p) - gauss)).toBeLessThan(1e-3 * (1 + Math.abs(gauss)));
    }
  });

  it("784 outputs, d = 2, 32 points (torus tanh MLP) within 30 s", () => {
    const { model, params } = mlp([2, 64, 64, 784], { kind: "named", name: "tanh" }, true);
    const n = 32;
    const t0 = performance.now();
    const { R, J } = oracleCurvature(
      model,
      params,
      grid(n, [
        [-3, 3],
        [-3, 3],
      ]),
      n,
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(`oracle 2-(64-64 tanh)-784, 32 points: ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(30);
    expect(J.length).toBe(n * 784 * 2);
    expect(R.every(Number.isFinite)).toBe(true);
  });
});

describe("higher-order gradients", () => {
  const xs = [-1.3, -0.2, 0.4, 1.1, 2.5];
  const nth = (f: (x: tf.Tensor) => tf.Tensor, k: number): ((x: tf.Tensor) => tf.Tensor) => (k === 0 ? f : tf.grad(nth(f, k - 1)));
  const fourth = (f: (x: tf.Tensor) => tf.Tensor): number[] => tf.tidy(() => Array.from(nth(f, 4)(tf.tensor1d(xs)).dataSync()));
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const closed = {
    tanh: (x: number): number => {
      const t = Math.tanh(x);
      return 8 * t * (1 - t * t) * (2 - 3 * t * t);
    },
    sigmoid: (x: number): number => {
      const s = sig(x);
      return s * (1 - s) * (1 - 2 * s) * (1 - 12 * s + 12 * s * s);
    },
    exp: Math.exp,
    softplus: (x: number): number => {
      const s = sig(x);
      return s * (1 - s) * (1 - 6 * s + 6 * s * s);
    },
  };
  const ops = { tanh: tf.tanh, sigmoid: tf.sigmoid, exp: tf.exp, softplus: tf.softplus };

  it("stock tfjs gradients fail from order 2; the installed ones are exact to order 4", () => {
    restoreDefaultGradients();
    try {
      for (const op of Object.values(ops)) expect(() => tf.tidy(() => nth(op, op === tf.softplus ? 3 : 2)(tf.tensor1d(xs)))).toThrow();
    } finally {
      installHigherOrderGradients();
    }
    installHigherOrderGradients(); // idempotent
    for (const name of ["tanh", "sigmoid", "exp", "softplus"] as const) {
      const got = fourth(ops[name]);
      xs.forEach((x, i) => expect(Math.abs((got[i] ?? NaN) - closed[name](x))).toBeLessThan(1e-4 * (1 + Math.abs(closed[name](x)))));
    }
  });

  it("named and formula activations agree to order 4", () => {
    const pairs: [Activation, string][] = [
      [{ kind: "named", name: "softplus" }, "log(1 + exp(x))"],
      [{ kind: "named", name: "silu" }, "x/(1 + exp(-x))"],
      [{ kind: "named", name: "gelu" }, "0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))"],
      [{ kind: "named", name: "tanh" }, "sinh(x)/cosh(x)"],
    ];
    for (const [act, formula] of pairs) {
      const a = fourth(tfActivation(act));
      const b = fourth(tfActivation({ kind: "formula", formula }));
      a.forEach((v, i) => expect(Math.abs(v - (b[i] ?? NaN))).toBeLessThan(2e-3 * (1 + Math.abs(v))));
    }
  });

  it("formulas: integer powers are exact, unknown symbols are user errors", () => {
    const cube = fourth(tfActivation({ kind: "formula", formula: "x^3/3 + x" }));
    cube.forEach((v) => expect(v).toBe(0));
    const third = tf.tidy(() => Array.from(nth(tfActivation({ kind: "formula", formula: "x^3/3 + x" }), 3)(tf.tensor1d(xs)).dataSync()));
    third.forEach((v) => expect(v).toBeCloseTo(2, 5));
    expect(() => compileFormula("foo(x)", ["x"], {})).toThrow(UserError);
    expect(() => compileFormula("x + q", ["x"], {})).toThrow(UserError);
    expect(() => compileFormula("toString", ["x"], {})).toThrow(UserError);
  });

  it("does not leak tensors", () => {
    const model = analytic(["t", "p"], ["sin(t)*cos(p)", "sin(t)*sin(p)", "cos(t)"]);
    oracleCurvature(
      model,
      new Float64Array(),
      grid(2, [
        [0.5, 2],
        [0, 1],
      ]),
      2,
    );
    const before = tf.memory().numTensors;
    oracleCurvature(
      model,
      new Float64Array(),
      grid(4, [
        [0.5, 2],
        [0, 1],
      ]),
      4,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
