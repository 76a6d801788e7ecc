/**
 * The training-step plan: one graph from (parameters, data batch, measure points, hyper-parameters)
 * to every loss part and the full flat gradient. It computes the same loss as the tfjs trainer
 * (runtime/train/session.ts and losses.ts, whose docstrings define each term); the gradient is the
 * plan's compile-time reverse mode (autodiff.ts), so nothing is differentiated at run time.
 *
 *   total = λ_recon·MSE + λ_curv·sign·L_curv + λ_unif·U + λ_contr·K_Φ + λ_dec·K_Ψ
 *           + λ_iso·isometry + λ_vol·volume + λ_conf·conformality + λ_anchor·mean‖z − y‖²
 *
 * The curvature points are the encoded batch with no gradient into the encoder ("batch" measure) or
 * given points (uniform/grid). The chart-fixing terms use the mixed-up batch codes, whose mixing
 * weights α and partners π are inputs (drawn host-side, as the tfjs trainer draws them).
 * Hyper-parameters are scalar inputs, so one graph serves a whole run (and every λ schedule).
 */
import { curvatureKernelName, modelKernels, type Kernel, type Route } from "../ir/kernels.js";
import { decoderProgram } from "../ir/program.js";
import { paramLayout } from "../model/params.js";
import type { Mlp, Model } from "../model/types.js";
import { activationDerivatives } from "../rules/activations.js";
import { Builder } from "../ir/graph.js";
import { fromFormula } from "../ir/block.js";
import { gradients } from "./autodiff.js";
import { layerWeights, lowerAssembly, lowerDecoderJets, replayBlock, unstack } from "./lower-decoder.js";
import { mulDim, sym, TensorPlan, type TensorId } from "./tensor.js";

export type Reduce = "max" | "mean";

export interface StepSpec {
  /** Decoder (MLP) and encoder. */
  model: Model;
  torus: boolean;
  /** Whether L_curv is in the loss (λ_curv > 0). */
  curvature: boolean;
  route: Route;
  functional: "R2" | "F" | "W";
  measure: "batch" | "points";
  /** The potential f of F and W (an MLP model with output dimension 1). */
  potential: Model | null;
  learnTau: boolean;
  uniformityMoments: number | null;
  contractive: Reduce | null;
  decoderContractive: Reduce | null;
  isometry: boolean;
  volume: boolean;
  conformality: boolean;
  /** Whether the codes are pulled toward given anchor codes (loss.isomap), an input [n, d]. */
  anchor: boolean;
  /** The order of the `parts` output (absent: every part the graph computes, in the order built). */
  partNames?: readonly string[];
}

/** Scalar hyper-parameter inputs, each shape []. */
export const HYPER_INPUTS = [
  "lambdaRecon",
  "lambdaCurvSigned",
  "lambdaUniformity",
  "lambdaContractive",
  "contractiveDelta",
  "lambdaDecoderContractive",
  "decoderContractiveDelta",
  "lambdaIsometry",
  "lambdaVolume",
  "lambdaConformality",
  "lambdaAnchor",
  "detEpsilon",
  "inverseMetricEpsilon",
  "measureWeight",
  "invBatch",
  "logTauFixed",
] as const;
export type HyperInput = (typeof HYPER_INPUTS)[number];

export interface StepGraph {
  plan: TensorPlan;
  outputs: { name: string; node: TensorId }[];
  /** Names of the parameter inputs with a gradient output `grad_<name>`. */
  paramInputs: string[];
  /** The order of the `parts` output. */
  partNames: readonly string[];
  description: string;
}

const relu = (p: TensorPlan, x: TensorId): TensorId => p.mul(x, p.step(x));

function reduce(p: TensorPlan, x: TensorId, how: Reduce, invCount: TensorId): TensorId {
  return how === "max" ? p.reduceMax(x, [0]) : p.mul(p.total(x), invCount);
}

/** σ and σ′ of an activation, elementwise on x. */
function activation(p: TensorPlan, layer: Mlp["layers"][number], x: TensorId): { value: TensorId; slope: TensorId } {
  if (layer.activation.kind === "named" && layer.activation.name === "linear") return { value: x, slope: p.num(1) };
  const b = new Builder();
  const input = b.input("x");
  const [s, ds] = activationDerivatives(layer.activation, 1).map((f) => fromFormula(b, f, { x: input })) as [number, number];
  const [value, slope] = replayBlock(
    p,
    {
      b,
      inputs: ["x"],
      outputs: [
        { name: "s", node: s },
        { name: "ds", node: ds },
      ],
    },
    () => x,
  );
  return { value: value!, slope: slope! };
}

/** Φ(x) for x [n, D], and with `jacobian` the per-point ‖J_Φ‖_F [n] (as runtime/train/mlp.ts). */
function encoderForward(
  p: TensorPlan,
  mlp: Mlp,
  params: TensorId,
  x: TensorId,
  jacobian: boolean,
): { y: TensorId; jacNorm: TensorId | null } {
  const n = p.shape(x)[0]!;
  const layers = paramLayout(mlp).layers;
  let h = mlp.torusEmbedding ? p.concat([p.unary("cos", x), p.unary("sin", x)], 1) : x;
  const slopes: TensorId[] = [];
  const weights = layers.map((l) => layerWeights(p, params, l));
  layers.forEach((l, i) => {
    const { W, b } = weights[i]!;
    const a = p.add(p.gemm(h, W, false, true), p.reshape(b, [1, l.units]));
    const act = activation(p, mlp.layers[i]!, a);
    slopes.push(p.expandLike(act.slope, a));
    h = act.value;
  });
  if (!jacobian) return { y: h, jacNorm: null };
  if (mlp.torusEmbedding) throw new Error("the Jacobian of a torus-embedded MLP is not supported");
  const L = layers.length;
  const dOut = layers[L - 1]!.units;
  const rows = mulDim(n, dOut);
  // M = diag σ′_L W_L, then M ← (M diag σ′_l) W_l going down: [n·dOut, fanIn].
  let M = p.mul(p.reshape(weights[L - 1]!.W, [1, dOut, layers[L - 1]!.fanIn]), p.reshape(slopes[L - 1]!, [n, dOut, 1]));
  M = p.reshape(M, [rows, layers[L - 1]!.fanIn]);
  for (let l = L - 2; l >= 0; l--) {
    const units = layers[l]!.units;
    const s = p.reshape(slopes[l]!, [n, 1, units]);
    M = p.reshape(p.mul(p.reshape(M, [n, dOut, units]), s), [rows, units]);
    M = p.gemm(M, weights[l]!.W);
  }
  const sq = p.reduceSum(p.reshape(p.powi(M, 2), [n, dOut * layers[0]!.fanIn]), [1]);
  return { y: h, jacNorm: p.unary("sqrt", p.add(sq, p.num(1e-12))) };
}

/** z − 2π·round(z / 2π): angles wrapped to (−π, π]; the gradient of the wrap is the identity. */
function wrap(p: TensorPlan, z: TensorId): TensorId {
  const twoPi = 2 * Math.PI;
  return p.sub(z, p.mul(p.num(twoPi), p.round(p.mul(z, p.num(1 / twoPi)))));
}

interface TermContext {
  p: TensorPlan;
  spec: StepSpec;
  kernels: Kernel[];
  hyper: Record<HyperInput, TensorId>;
  decoder: TensorId;
}

const kernel = (ks: Kernel[], name: string): Kernel => {
  const k = ks.find((x) => x.name === name);
  if (!k) throw new Error(`no kernel ${name}`);
  return k;
};

/** The curvature functional at points z [m, d] of weight w (losses.ts's curvatureFunctional). */
function curvatureTerm(c: TermContext, z: TensorId, potential: TensorId | null, logTau: TensorId | null) {
  const { p, spec, kernels, hyper } = c;
  const d = spec.model.latentDim;
  const m = p.shape(z)[0]!;
  const curvKernel = kernel(kernels, curvatureKernelName(spec.route));
  const jet = lowerDecoderJets(p, curvKernel.program, c.decoder, z);
  const det = p.reshape(lowerAssembly(p, kernel(kernels, "metric"), jet, null)["detg"]!, [m, 1]);
  const mask = p.step(p.sub(det, hyper.detEpsilon));
  const shift = p.add(p.sub(p.num(1), mask), hyper.inverseMetricEpsilon);
  const R = p.reshape(lowerAssembly(p, curvKernel, jet, shift)["R"]!, [m, 1]);
  const sqrtdetg = p.unary("sqrt", p.add(p.mul(det, mask), p.sub(p.num(1), mask)));
  const mu = p.mul(p.mul(mask, sqrtdetg), hyper.measureWeight);
  const r2 = p.total(p.mul(mu, p.powi(R, 2)));
  const maskedCount = p.total(mask);
  const parts: Record<string, TensorId> = {
    r2,
    degenerate: p.total(p.sub(p.num(1), mask)),
    volume: p.total(mu),
    meanSqrtDetG: p.div(p.total(p.mul(mask, sqrtdetg)), p.add(p.num(1), relu(p, p.sub(maskedCount, p.num(1))))),
  };
  if (spec.functional === "R2") return { value: r2, parts };
  if (!spec.potential || potential === null) throw new Error(`${spec.functional} needs the potential`);
  const pj = unstack(p, lowerDecoderJets(p, decoderProgram(spec.potential, 1), potential, z));
  const fRaw = pj[0]!; // [m, 1]
  const grad = p.concat(pj.slice(1, 1 + d), 1); // [m, d]
  const ginv = lowerAssembly(p, kernel(kernels, "inverseMetric"), jet, shift)["ginv"]!; // [m, d, d]
  const grad2 = p.reduceSum(p.mul(p.mul(p.reshape(grad, [m, d, 1]), ginv), p.reshape(grad, [m, 1, d])), [1, 2], false);
  const grad2c = p.reshape(grad2, [m, 1]);
  const logMu = p.add(p.unary("log", p.mul(sqrtdetg, hyper.measureWeight)), p.mul(p.sub(mask, p.num(1)), p.num(1e4)));
  const scores = p.sub(logMu, fRaw);
  const top = p.detach(p.reduceMax(scores, [0, 1]));
  const lse = p.add(p.unary("log", p.total(p.unary("exp", p.sub(scores, top)))), top);
  const q = p.unary("exp", p.sub(scores, lse));
  const tau = logTau === null ? null : p.unary("exp", logTau);
  const halfLog4PiTau = tau === null ? p.num(0) : p.mul(p.num(d / 2), p.unary("log", p.mul(p.num(4 * Math.PI), tau)));
  const isW = spec.functional === "W";
  const f = isW ? p.sub(p.add(fRaw, lse), halfLog4PiTau) : p.add(fRaw, lse);
  const mass = p.total(p.mul(mu, p.unary("exp", p.sub(p.neg(f), isW ? halfLog4PiTau : p.num(0)))));
  parts["normError"] = p.detach(p.unary("sqrt", p.powi(p.sub(mass, p.num(1)), 2)));
  const value = isW ? p.total(p.mul(q, p.sub(p.add(p.mul(tau!, p.add(grad2c, R)), f), p.num(d)))) : p.total(p.mul(q, p.add(R, grad2c)));
  return { value, parts };
}

/** Σ_i Σ_k (mean_p cos k z_pi)² + (mean_p sin k z_pi)². */
function uniformity(p: TensorPlan, z: TensorId, moments: number, invBatch: TensorId): TensorId {
  const terms: TensorId[] = [];
  for (let k = 1; k <= moments; k++) {
    const kz = p.mul(z, p.num(k));
    for (const fn of ["cos", "sin"] as const) terms.push(p.total(p.powi(p.mul(p.reduceSum(p.unary(fn, kz), [0]), invBatch), 2)));
  }
  return p.sum(terms);
}

/** Traces of G and G² and log √det G per point, for the chart-fixing terms. */
function metricInvariants(c: TermContext, z: TensorId) {
  const { p, spec, kernels } = c;
  const d = spec.model.latentDim;
  const m = p.shape(z)[0]!;
  const metricKernel = kernel(kernels, "metric");
  const jet = lowerDecoderJets(p, decoderProgram(spec.model, 1), c.decoder, z);
  const fields = lowerAssembly(p, metricKernel, jet, null);
  const g = fields["g"]!; // [m, d, d]
  const trG = p.reduceSum(p.mul(g, p.constTensor(identity(d), [1, d, d])), [1, 2]);
  const trG2 = p.reduceSum(p.powi(g, 2), [1, 2]); // g symmetric: Tr G² = Σ g_ij²
  // log max(det g, ε): finite at degenerate points, as in the tfjs trainer.
  const eps = c.hyper.detEpsilon;
  const logSqrtDet = p.mul(p.num(0.5), p.unary("log", p.add(eps, relu(p, p.sub(p.reshape(fields["detg"]!, [m]), eps)))));
  return { trG, trG2, logSqrtDet };
}

const identity = (d: number): Float32Array => Float32Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));

/** The whole training step. */
export function stepPlan(spec: StepSpec): StepGraph {
  const { model } = spec;
  if (model.decoder.type !== "mlp" || !model.encoder) throw new Error("training needs an MLP decoder and an encoder");
  const p = new TensorPlan();
  const n = sym("n");
  const d = model.latentDim;
  const D = model.outputDim;
  const x = p.input("x", [n, D]);
  const encoder = p.input("encoder", [paramLayout(model.encoder).size]);
  const decoder = p.input("decoder", [paramLayout(model.decoder).size]);
  const usesPotential = spec.curvature && spec.functional !== "R2";
  const potential =
    usesPotential && spec.potential?.decoder.type === "mlp" ? p.input("potential", [paramLayout(spec.potential.decoder).size]) : null;
  const logTauParam = spec.curvature && spec.functional === "W" && spec.learnTau ? p.input("logTau", [1]) : null;
  const points = spec.curvature && spec.measure === "points" ? p.input("points", [sym("m"), d]) : null;
  const chartTerms = spec.isometry || spec.volume || spec.conformality;
  const alpha = chartTerms ? p.input("mixAlpha", [n, 1]) : null;
  const partner = chartTerms ? p.input("mixPartner", [n], "int64") : null;
  const anchor = spec.anchor ? p.input("anchor", [n, d]) : null;
  const hyper = Object.fromEntries(HYPER_INPUTS.map((h) => [h, p.input(h, [])])) as Record<HyperInput, TensorId>;
  const kernels = modelKernels(model, [spec.route]);
  const c: TermContext = { p, spec, kernels, hyper, decoder };

  const enc = encoderForward(p, model.encoder, encoder, x, spec.contractive !== null);
  const z = spec.torus ? wrap(p, enc.y) : enc.y;
  const xhat = unstack(p, lowerDecoderJets(p, decoderProgram(model, 0), decoder, z))[0]!;
  const recon = p.mul(p.total(p.powi(p.sub(xhat, x), 2)), p.mul(hyper.invBatch, p.num(1 / D)));
  const parts: Record<string, TensorId> = { recon };
  const weighted: TensorId[] = [p.mul(recon, hyper.lambdaRecon)];
  const addTerm = (name: string, value: TensorId, weight: TensorId): void => {
    parts[name] = value;
    weighted.push(p.mul(value, weight));
  };
  if (spec.curvature) {
    const logTau = spec.functional !== "W" ? null : logTauParam !== null ? p.reshape(logTauParam, []) : hyper.logTauFixed;
    const cur = curvatureTerm(c, points ?? p.detach(z), potential, logTau);
    Object.assign(parts, cur.parts);
    addTerm("curv", cur.value, hyper.lambdaCurvSigned);
    if (logTau !== null) parts["tau"] = p.unary("exp", logTau);
  }
  if (spec.uniformityMoments !== null)
    addTerm("uniformity", uniformity(p, z, spec.uniformityMoments, hyper.invBatch), hyper.lambdaUniformity);
  if (spec.contractive !== null)
    addTerm(
      "contractive",
      reduce(p, relu(p, p.sub(enc.jacNorm!, hyper.contractiveDelta)), spec.contractive, hyper.invBatch),
      hyper.lambdaContractive,
    );
  if (spec.decoderContractive !== null)
    addTerm("decoderContractive", decoderContractive(c, model, z, spec.decoderContractive), hyper.lambdaDecoderContractive);
  if (alpha !== null && partner !== null) chartFixingTerms(c, z, alpha, partner, addTerm);
  if (anchor !== null) {
    addTerm("isomap", p.mul(p.total(p.powi(p.sub(z, anchor), 2)), hyper.invBatch), hyper.lambdaAnchor);
  }
  const total = p.sum(weighted);
  parts["loss"] = total;
  return stepOutputs(c, total, parts, { encoder, decoder, potential, logTau: logTauParam });
}

/** The decoder's contractive term: ‖J‖_F at the codes over δ, reduced over the batch. */
function decoderContractive(c: TermContext, model: Model, z: TensorId, how: Reduce): TensorId {
  const { p, hyper } = c;
  const J = unstack(p, lowerDecoderJets(p, decoderProgram(model, 1), c.decoder, z)).slice(1);
  const norm = p.unary("sqrt", p.add(p.sum(J.map((col) => p.reduceSum(p.powi(col, 2), [1]))), p.num(1e-12)));
  return reduce(p, relu(p, p.sub(norm, hyper.decoderContractiveDelta)), how, hyper.invBatch);
}

/** Isometry, volume variance and conformality at the mixed-up codes z̃ = α z + (1 − α) z_partner (z detached). */
function chartFixingTerms(
  c: TermContext,
  z: TensorId,
  alpha: TensorId,
  partner: TensorId,
  addTerm: (name: string, value: TensorId, weight: TensorId) => void,
): void {
  const { p, spec, hyper } = c;
  const d = spec.model.latentDim;
  const zd = p.detach(z);
  let mixed = p.add(p.mul(alpha, zd), p.mul(p.sub(p.num(1), alpha), p.gatherRows(zd, partner)));
  if (spec.torus) mixed = wrap(p, mixed);
  const inv = metricInvariants(c, mixed);
  const meanOf = (t: TensorId) => p.mul(p.total(t), hyper.invBatch);
  if (spec.isometry)
    addTerm("isometry", p.sub(p.div(p.mul(p.num(d), meanOf(inv.trG2)), p.powi(meanOf(inv.trG), 2)), p.num(1)), hyper.lambdaIsometry);
  if (spec.volume) {
    const mean = meanOf(inv.logSqrtDet);
    addTerm("volumeVariance", meanOf(p.powi(p.sub(inv.logSqrtDet, mean), 2)), hyper.lambdaVolume);
  }
  if (spec.conformality)
    addTerm("conformality", meanOf(p.sub(p.div(p.mul(p.num(d), inv.trG2), p.powi(inv.trG, 2)), p.num(1))), hyper.lambdaConformality);
}

/** The step's outputs: the loss parts as one vector, and the total's gradient for each parameter input. */
function stepOutputs(
  c: TermContext,
  total: TensorId,
  parts: Record<string, TensorId>,
  params: { encoder: TensorId; decoder: TensorId; potential: TensorId | null; logTau: TensorId | null },
): StepGraph {
  const { p, spec } = c;
  const { encoder, decoder, potential, logTau: logTauParam } = params;
  const paramInputs: [string, TensorId][] = [
    ["encoder", encoder],
    ["decoder", decoder],
  ];
  if (potential !== null) paramInputs.push(["potential", potential]);
  if (logTauParam !== null) paramInputs.push(["logTau", logTauParam]);
  const grads = gradients(
    p,
    total,
    paramInputs.map(([, id]) => id),
  );
  const partNames = spec.partNames ?? Object.keys(parts);
  const partVector = p.concat(
    partNames.map((name) => p.reshape(parts[name] ?? p.zerosLike(total), [1])),
    0,
  );
  return {
    plan: p,
    outputs: [{ name: "parts", node: partVector }, ...paramInputs.map(([name], i) => ({ name: `grad_${name}`, node: grads[i]! }))],
    paramInputs: paramInputs.map(([name]) => name),
    partNames,
    description: `One training step of "${spec.model.name}": loss parts [${partNames.join(", ")}] and the gradient of the total with respect to ${paramInputs.map(([k]) => k).join(", ")}.`,
  };
}
