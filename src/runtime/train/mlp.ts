/**
 * The encoder Φ as a tfjs function of its flat parameters (ParamLayout order), with any activation a
 * model file allows: σ and σ′ come from the same rules as the compiler's (rules/activations.ts) and
 * are evaluated as tf ops. Also its Jacobian J_Φ in closed form (for the contractive term): the
 * chain J = diag σ′_L W_L ⋯ diag σ′_1 W_1, accumulated from the output side (d rows per point, so
 * about d forward passes of work) as ordinary tensor ops: one level of autograd on top suffices.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { paramLayout, type LayerSlice } from "../../model/params.js";
import type { Activation, Mlp } from "../../model/types.js";
import { activationDerivatives, type Formula } from "../../emit/facade.js";

type TF = typeof tfjs;
type T = tfjs.Tensor;

/** Evaluate a Formula in `x` with tf ops; constant subtrees fold to numbers. */
export function formulaToTf(tf: TF, f: Formula, x: T): T | number {
  const walk = (g: Formula): T | number => {
    switch (g.op) {
      case "num":
        return g.value;
      case "var":
        return x;
      case "add":
      case "sub":
      case "mul":
      case "div":
      case "pow": {
        const a = walk(g.args[0]);
        const b = walk(g.args[1]);
        if (typeof a === "number" && typeof b === "number") {
          return g.op === "add" ? a + b : g.op === "sub" ? a - b : g.op === "mul" ? a * b : g.op === "div" ? a / b : a ** b;
        }
        if (g.op === "pow" && typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 8) {
          let r: T | number = 1;
          for (let i = 0; i < b; i++) r = typeof r === "number" ? (a as T) : tf.mul(r, a);
          return r;
        }
        return tf[g.op](a, b);
      }
      default: {
        const a = walk(g.args[0]);
        if (typeof a === "number") {
          const m = g.op === "neg" ? -a : (Math[g.op] as (v: number) => number)(a);
          return m;
        }
        return g.op === "neg" ? tf.neg(a) : tf[g.op](a);
      }
    }
  };
  return walk(f);
}

export interface TfActivation {
  /** σ(x) as a tensor. */
  value(tf: TF, x: T): T;
  /** σ′(x): a tensor, or a number when constant (1 for linear). */
  derivative(tf: TF, x: T): T | number;
  linear: boolean;
}

export function tfActivationOf(a: Activation): TfActivation {
  const [sigma, dsigma] = activationDerivatives(a, 1) as [Formula, Formula];
  const linear = a.kind === "named" && a.name === "linear";
  return {
    linear,
    value: (tf, x) => {
      if (linear) return x;
      const v = formulaToTf(tf, sigma, x);
      return typeof v === "number" ? tf.fill(x.shape, v) : v;
    },
    derivative: (tf, x) => (linear ? 1 : formulaToTf(tf, dsigma, x)),
  };
}

export interface TfMlp {
  mlp: Mlp;
  layers: LayerSlice[];
  activations: TfActivation[];
  paramCount: number;
}

export function tfMlp(mlp: Mlp): TfMlp {
  const layout = paramLayout(mlp);
  return { mlp, layers: layout.layers, activations: mlp.layers.map((l) => tfActivationOf(l.activation)), paramCount: layout.size };
}

function layerWeights(tf: TF, params: T, l: LayerSlice): { W: T; b: T } {
  return {
    W: tf.reshape(tf.slice(params, [l.wOffset], [l.units * l.fanIn]), [l.units, l.fanIn]),
    b: tf.slice(params, [l.bOffset], [l.units]),
  };
}

/**
 * Φ(x) for x [n, inputDim] (through (cos x, sin x) for a torus-embedded MLP, without Jacobian). With
 * `jacobianNorm`, also ‖J_Φ(x)‖_F per point ([n]).
 */
export function mlpForward(tf: TF, net: TfMlp, params: T, x: T, jacobianNorm = false): { y: T; jacNorm?: T } {
  const n = x.shape[0]!;
  if (net.mlp.torusEmbedding && jacobianNorm) throw new Error("the Jacobian of a torus-embedded MLP is not supported");
  let h = net.mlp.torusEmbedding ? tf.concat([tf.cos(x), tf.sin(x)], 1) : x;
  const slopes: (T | number)[] = [];
  const weights = net.layers.map((l) => layerWeights(tf, params, l));
  net.layers.forEach((_, i) => {
    const { W, b } = weights[i]!;
    const a = tf.add(tf.matMul(h, W, false, true), b);
    const act = net.activations[i]!;
    if (jacobianNorm) slopes.push(act.derivative(tf, a));
    h = act.value(tf, a);
  });
  if (!jacobianNorm) return { y: h };
  // M = diag σ′_L W_L, then M ← (M diag σ′_l) W_l going down: [n, d, fanIn].
  const L = net.layers.length;
  const last = net.layers[L - 1]!;
  const dOut = last.units;
  let M: T = tf.tile(tf.reshape(weights[L - 1]!.W, [1, dOut, last.fanIn]), [n, 1, 1]);
  const sL = slopes[L - 1]!;
  if (typeof sL !== "number") M = tf.mul(M, tf.reshape(sL, [n, dOut, 1]));
  else if (sL !== 1) M = tf.mul(M, sL);
  for (let l = L - 2; l >= 0; l--) {
    const layer = net.layers[l]!;
    const s = slopes[l]!;
    if (typeof s !== "number") M = tf.mul(M, tf.reshape(s, [n, 1, layer.units]));
    else if (s !== 1) M = tf.mul(M, s);
    M = tf.reshape(tf.matMul(tf.reshape(M, [n * dOut, layer.units]), weights[l]!.W), [n, dOut, layer.fanIn]);
  }
  const jacNorm = tf.sqrt(tf.add(tf.sum(tf.square(M), [1, 2]), 1e-12));
  return { y: h, jacNorm };
}

/** Wrap angles to (−π, π] (the gradient of the wrap is the identity). */
export function wrapAngles(tf: TF, z: T): T {
  const twoPi = 2 * Math.PI;
  return tf.sub(z, tf.mul(twoPi, tf.round(tf.div(z, twoPi))));
}
