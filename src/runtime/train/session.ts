/**
 * A training session: the model, the data, the generated tfjs kernels, the variables and the loss
 * of one step, everything the trainer loop (trainer.ts), evaluation and the tests share.
 *
 * Loss of a step on a batch x (see losses.ts for L_curv and the other terms):
 *   θ = (encoder, decoder) minimise  λ_recon·MSE + λ_curv·sign·L_curv + λ_unif·U + λ_contr·K
 *                                     + λ_dec·K_Ψ + λ_iso·isometry + λ_vol·volume + λ_conf·conformality,
 *   φ = (potential, log τ) minimise  L_curv  (F and W only: f realises inf_f F, τ inf_τ W).
 * Both come from one tfjs gradient of that total: φ's gradient is multiplied by `sign` (gradient
 * reversal when sign = −1), which turns λ_curv·sign·∂L/∂φ into λ_curv·∂L/∂φ.
 *
 * Sign convention (docs/mathematics.md §4): Perelman's F and W are non-decreasing along the Ricci flow, which is
 * their gradient *ascent* in g (up to the gauge f). sign = −1 (the default for F and W) puts
 * −λ_curv·F in the loss, so training moves g along the flow, while f minimises F. sign = +1 (the
 * seed poster's "+λ·L_curv") descends F instead. ∫R² dμ always has sign +1.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Route } from "../../emit/facade.js";
import { loadModel } from "../../model/load.js";
import { initialParams } from "../../model/params.js";
import type { Model } from "../../model/types.js";
import { UserError } from "../../util/errors.js";
import { checkFinite, columnStats, loadDataset, splitTrainTest, standardize, type Dataset, type Standardization } from "../data/index.js";
import { decodeF32, loadCheckpoint } from "./checkpoint.js";
import type { ContractiveReduce, TrainConfig } from "./config.js";
import {
  chartTerms,
  contractiveTerm,
  curvatureFunctional,
  decoderJacobianNorm,
  mixPoints,
  stopGradient,
  uniformityTerm,
  type CurvatureSetup,
} from "./losses.js";
import type { RegularizerPoints } from "./regularizer-points.js";
import { describeMeasure, type MeasureSpec } from "./measure.js";
import { mlpForward, tfMlp, wrapAngles, type TfMlp } from "./mlp.js";
import { parseActivation, potentialInitialParams, potentialModel } from "./potential.js";
import { emitPotentialKernels, emitTrainingKernels, loadTfjsKernelModule, type TfjsKernelModule } from "./tfjs-kernels.js";

type T = tf.Tensor;

/** Names of the per-step values (one stacked tensor, read with one sync). */
export const PART_NAMES = [
  "loss",
  "recon",
  "curv",
  "r2",
  "uniformity",
  "contractive",
  "degenerate",
  "volume",
  "meanSqrtDetG",
  "normError",
  "tau",
  "decoderContractive",
  "isometry",
  "volumeVariance",
  "conformality",
  "isomap",
] as const;
export type PartName = (typeof PART_NAMES)[number];
export type Parts = Record<PartName, number>;

export interface SessionData {
  train: Dataset;
  test: Dataset;
  /** Training rows as float32, row-major. */
  trainX: Float32Array;
  testX: Float32Array;
  standardization: Standardization | null;
}

let sessionCounter = 0;

export interface LossWeights {
  recon: number;
  curv: number;
  sign: 1 | -1;
  uniformity: number;
  moments: number;
  contractive: number;
  delta: number;
  contractiveReduce: ContractiveReduce;
  decoderContractive: number;
  decoderDelta: number;
  decoderContractiveReduce: ContractiveReduce;
  isometry: number;
  volume: number;
  conformality: number;
  isomap: number;
}

export class Session {
  readonly id = ++sessionCounter;
  readonly vars = new Map<string, tf.Variable>();
  /** Variables trained by the "model" optimiser and by the "potential" one. */
  readonly modelVars: string[] = ["encoder", "decoder"];
  readonly potentialVars: string[] = [];
  readonly curvature: CurvatureSetup;
  readonly encoderNet: TfMlp;
  /** log τ as a constant (fixed τ) when not learned. */
  private readonly fixedLogTau: T | null;

  constructor(
    readonly model: Model,
    readonly torus: boolean,
    readonly decoder: TfjsKernelModule,
    readonly potential: TfjsKernelModule | null,
    readonly potentialModel: Model | null,
    readonly weights: LossWeights,
    route: Route,
    functional: "R2" | "F" | "W",
    detEpsilon: number,
    tau: { value: number; learn: boolean },
    inverseMetricEpsilon = 0,
  ) {
    if (!model.encoder) throw new Error("no encoder");
    if (model.decoder.type !== "mlp") throw new Error("decoder must be an MLP");
    this.encoderNet = tfMlp(model.encoder);
    this.curvature = { decoder, potential, route, functional, detEpsilon, inverseMetricEpsilon, latentDim: model.latentDim };
    const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);
    this.addVar("encoder", f32(initialParams(model.encoder, model.encoderWeights)));
    this.addVar("decoder", f32(initialParams(model.decoder, model.decoderWeights)));
    if (functional !== "R2" && potentialModel) {
      this.addVar("potential", f32(potentialInitialParams(potentialModel)));
      this.potentialVars.push("potential");
    }
    this.fixedLogTau = null;
    if (functional === "W") {
      if (tau.learn) {
        this.addVar("logTau", Float32Array.of(Math.log(tau.value)));
        this.potentialVars.push("logTau");
      } else this.fixedLogTau = tf.keep(tf.scalar(Math.log(tau.value)));
    }
  }

  private addVar(name: string, values: Float32Array): void {
    this.vars.set(name, tf.variable(tf.tensor1d(values), true, `ricci-train-${this.id}/${name}`));
  }

  variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no variable ${name}`);
    return v;
  }

  get functional(): "R2" | "F" | "W" {
    return this.curvature.functional;
  }

  get latentDim(): number {
    return this.model.latentDim;
  }

  logTau(): T | null {
    return this.vars.get("logTau") ?? this.fixedLogTau;
  }

  /** Whether a step computes L_curv (and trains the potential). */
  get usesCurvature(): boolean {
    return this.weights.curv > 0;
  }

  /** Whether a step needs regulariser points (regularizer-points.ts) for the chart-fixing terms. */
  get usesRegularizerPoints(): boolean {
    return this.weights.isometry > 0 || this.weights.volume > 0 || this.weights.conformality > 0;
  }

  /** The variables a step differentiates. */
  trainable(): tf.Variable[] {
    const names = [...this.modelVars, ...(this.usesCurvature ? this.potentialVars : [])];
    return names.map((n) => this.variable(n));
  }

  /** Encode x [n, D] (wrapping to (−π, π] on a torus latent). */
  encode(x: T, jacobian = false): { z: T; jacNorm?: T } {
    const { y, jacNorm } = mlpForward(tf, this.encoderNet, this.variable("encoder"), x, jacobian);
    const z = this.torus ? wrapAngles(tf, y) : y;
    return jacNorm ? { z, jacNorm } : { z };
  }

  /**
   * The total loss of one step on the batch x [n, D]; the curvature points are the encoded batch
   * (no gradient into the encoder through them) or `measure` points with weight w. `regularizer`
   * (regularizer-points.ts, drawn for this step) is needed when a chart-fixing term is on. Returns
   * the total and the stacked parts (PART_NAMES order). Call inside tf.variableGrads or a tidy.
   */
  stepLoss(
    x: T,
    measure: { points: T; weight: number } | null,
    regularizer: RegularizerPoints | null = null,
    anchor: T | null = null,
  ): { total: T; parts: T } {
    const w = this.weights;
    const decW = this.decoder.weights(tf, this.variable("decoder"));
    const { z, jacNorm } = this.encode(x, w.contractive > 0);
    const P = this.decoder.decoderJets(tf, decW, z, w.decoderContractive > 0 ? 1 : 0);
    const recon = tf.mean(tf.square(tf.sub(P[0]!, x)));
    const zero: T = tf.scalar(0);
    const p: Record<PartName, T> = Object.fromEntries(PART_NAMES.map((k) => [k, zero])) as Record<PartName, T>;
    p.recon = recon;
    const terms: T[] = [tf.mul(recon, w.recon)];
    if (this.usesCurvature) {
      const points = measure ? measure.points : stopGradient(z);
      const weight = measure ? measure.weight : 1 / x.shape[0]!;
      const c = curvatureFunctional(this.curvature, decW, this.vars.get("potential") ?? null, this.logTau(), points, weight);
      Object.assign(p, {
        curv: c.value,
        r2: c.r2,
        degenerate: c.degenerate,
        volume: c.volume,
        meanSqrtDetG: c.meanSqrtDetG,
        normError: c.normError ?? zero,
      });
      terms.push(tf.mul(c.value, w.curv * w.sign));
    }
    const add = (name: PartName, value: T, weight: number): void => {
      p[name] = value;
      terms.push(tf.mul(value, weight));
    };
    if (w.uniformity > 0) add("uniformity", uniformityTerm(z, w.moments), w.uniformity);
    if (w.contractive > 0 && jacNorm) add("contractive", contractiveTerm(jacNorm, w.delta, w.contractiveReduce), w.contractive);
    if (w.decoderContractive > 0)
      add(
        "decoderContractive",
        contractiveTerm(decoderJacobianNorm(P, this.latentDim), w.decoderDelta, w.decoderContractiveReduce),
        w.decoderContractive,
      );
    if (this.usesRegularizerPoints) {
      if (!regularizer || regularizer.alpha.length !== x.shape[0])
        throw new Error("the chart-fixing terms need regulariser points for this batch");
      const chart = chartTerms(
        this.decoder,
        decW,
        mixPoints(stopGradient(z), regularizer.alpha, regularizer.perm, this.torus),
        this.curvature.detEpsilon,
      );
      add("isometry", chart.isometry, w.isometry);
      add("volumeVariance", chart.volume, w.volume);
      add("conformality", chart.conformality, w.conformality);
    }
    if (w.isomap > 0) {
      if (!anchor) throw new Error("loss.isomap needs the anchor codes of the batch");
      add("isomap", tf.mean(tf.sum(tf.square(tf.sub(z, anchor)), 1)), w.isomap);
    }
    const total = terms.length === 1 ? terms[0]! : tf.addN(terms);
    p.loss = total;
    const lt = this.logTau();
    if (lt) p.tau = tf.reshape(tf.exp(lt), []);
    return { total, parts: tf.stack(PART_NAMES.map((k) => p[k])) };
  }

  /** Flat float32 values of every variable. */
  snapshot(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, v] of this.vars) out[name] = Float32Array.from(v.dataSync() as Float32Array);
    return out;
  }

  restore(values: Record<string, Float32Array>): void {
    for (const [name, v] of this.vars) {
      const a = values[name];
      if (!a) throw new UserError("checkpoint", `has no values for ${name}`);
      if (a.length !== v.size)
        throw new UserError("checkpoint", `${name} has ${a.length} values, the model needs ${v.size} (different model?)`);
      v.assign(tf.tensor1d(a));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.fixedLogTau?.dispose();
  }
}

/** Load and check the model a config names. */
export function loadTrainingModel(config: TrainConfig): { model: Model; torus: boolean; modelText: string } {
  const model = loadModel(config.modelPath);
  const modelText = readFileSync(config.modelPath, "utf8");
  if (model.decoder.type !== "mlp")
    throw new UserError("model", `${config.modelPath} has an analytic decoder: training needs an MLP decoder (it has no parameters)`);
  if (!model.encoder) throw new UserError("model", `${config.modelPath} has no encoder: add an "encoder" to train an autoencoder`);
  const torus = config.latent.torus ?? model.decoder.torusEmbedding;
  if (torus && !model.decoder.torusEmbedding)
    throw new UserError(
      "latent.torus",
      `a periodic latent needs a periodic decoder: set "torusEmbedding": true in the decoder of ${config.modelPath}`,
    );
  if (!torus && model.decoder.torusEmbedding)
    throw new UserError("latent.torus", `the decoder uses the torus embedding, so the latent is periodic: remove "latent.torus": false`);
  return { model, torus, modelText };
}

/** Load, check, split and standardise the data a config names. */
export function loadTrainingData(config: TrainConfig, outputDim: number): SessionData {
  const ds = loadDataset(config.dataset, { where: "dataset", baseDir: config.baseDir });
  checkFinite(ds, `dataset (${ds.name})`);
  if (ds.dim !== outputDim) throw new UserError("dataset", `has ${ds.dim} columns but the model's outputDim is ${outputDim}`);
  const { train: rawTrain, test: rawTest } = splitTrainTest(ds, config.split.test, config.split.seed ?? config.seed);
  if (rawTrain.n < 1) throw new UserError("split.test", "leaves no training rows");
  let train = rawTrain;
  let test = rawTest;
  let standardization: Standardization | null = null;
  if (config.standardize) {
    standardization = columnStats(rawTrain);
    train = standardize(rawTrain, standardization).data;
    test = standardize(rawTest, standardization).data;
  }
  return { train, test, trainX: Float32Array.from(train.x), testX: Float32Array.from(test.x), standardization };
}

export interface BuiltSession {
  session: Session;
  modelText: string;
  decoderSource: string;
  potentialSource: string | null;
  measureDescription: string;
  measureSpec: MeasureSpec;
}

/** Compile the kernels and create the session's variables (initial values from the model file). */
export async function buildSession(config: TrainConfig, modelInfo = loadTrainingModel(config)): Promise<BuiltSession> {
  const { model, torus, modelText } = modelInfo;
  const decoderSource = emitTrainingKernels(model, config.loss.route);
  const decoder = await loadTfjsKernelModule(decoderSource);
  let potential: TfjsKernelModule | null = null;
  let potModel: Model | null = null;
  let potentialSource: string | null = null;
  if (config.loss.functional !== "R2") {
    potModel = potentialModel({
      latentDim: model.latentDim,
      torus,
      hidden: config.potential.hidden,
      activation: parseActivation(config.potential.activation, "potential.activation"),
      seed: config.potential.seed ?? config.seed + 2,
    });
    potentialSource = emitPotentialKernels(potModel);
    potential = await loadTfjsKernelModule(potentialSource);
  }
  const l = config.loss;
  const session = new Session(
    model,
    torus,
    decoder,
    potential,
    potModel,
    {
      recon: l.recon,
      curv: l.curv,
      sign: l.sign,
      uniformity: l.uniformity.weight,
      moments: l.uniformity.moments,
      contractive: l.contractive.weight,
      delta: l.contractive.delta,
      contractiveReduce: l.contractive.reduce,
      decoderContractive: l.decoderContractive.weight,
      decoderDelta: l.decoderContractive.delta,
      decoderContractiveReduce: l.decoderContractive.reduce,
      isometry: l.isometry.weight,
      volume: l.volume.weight,
      conformality: l.conformality.weight,
      isomap: l.isomap.weight,
    },
    l.route,
    l.functional,
    l.detEpsilon,
    config.tau,
    l.inverseMetricEpsilon,
  );
  const measureSpec: MeasureSpec = { ...config.measure };
  return { session, modelText, decoderSource, potentialSource, measureDescription: describeMeasure(measureSpec, torus), measureSpec };
}

/**
 * `init.from`: copy the encoder and decoder parameters (and the potential's, when both runs have one
 * of the same size) from the checkpoint of another run folder into a fresh session. Optimiser state,
 * τ and the step count start fresh. A missing checkpoint or a size mismatch is a UserError.
 */
export function initFromRun(session: Session, runDir: string): void {
  const path = join(runDir, "checkpoint.json");
  if (!existsSync(path))
    throw new UserError(
      "init.from",
      `${runDir} has no checkpoint.json: train that run first, or fix the path (relative to the working directory)`,
    );
  const ck = loadCheckpoint(path);
  for (const name of ["encoder", "decoder", "potential"]) {
    const v = session.vars.get(name);
    const stored = ck.params[name];
    if (!v) continue;
    if (!stored) {
      if (name === "potential") continue;
      throw new UserError("init.from", `the checkpoint in ${runDir} has no ${name} parameters`);
    }
    const values = decodeF32(stored, `${path}: params.${name}`);
    if (values.length !== v.size) {
      if (name === "potential") continue;
      throw new UserError(
        "init.from",
        `the ${name} of ${runDir} has ${values.length} parameters, this model's has ${v.size}: init.from needs the same architecture`,
      );
    }
    v.assign(tf.tensor1d(values));
  }
}
