/**
 * An autoencoder training step on WebGPU, every kernel generated: encoder and decoder parameters and
 * their Adam moments stay on the device; a step uploads the batch and reads back six sums.
 *
 *   loss = λ_recon · MSE(Ψ(Φ(x)), x) + λ_curv · Σ_p w·m_p·R_p²√det g_p
 *
 * over the curvature points z_p of the trainer's measure (measure.ts): the encoded batch z = Φ(x)
 * with w = 1/n, held fixed (no gradient into the encoder through them, as stopGradient in the tfjs
 * path), or the uniform or grid measure's points with their weight; m = [det g > ε] (losses.ts).
 * One submission: the encoder's products (tiled, emit/wgsl-tiled.ts) and z → (curvature forward,
 * assembly, adjoints, reduction: WebGpuDecoder) → the decoder's value products, the squared error and
 * its adjoint products → decoder weight reduction (added to the curvature gradient) → the encoder's
 * adjoint products → encoder weight reduction → trainParts. Adam is a second submission, made only
 * once the loss is known to be finite.
 */
import {
  type Route,
  wgslAutoencoderSet,
  PARTS_FIELDS,
  type ValuePlan,
  type WgslAutoencoderSet,
  adamUniform,
  ADAM_WORKGROUP,
  POINT_WORKGROUP,
  type WgslKernel,
  tiledPlan,
  type TiledPlan,
  encoderOutKernel,
  encoderSeedKernel,
  reconSeedKernel,
  tiledKernels,
  decoderProgram,
  mlpProgram,
  seedStride,
} from "../../emit/facade.js";
import type { Model } from "../../model/types.js";
import { deviceTileConfig, TiledMlp } from "./tiled.js";
import { BufferPool, createStorageBuffer, poison, readBuffer } from "./buffers.js";
import {
  encodeWeightReductions,
  partialFloats,
  WebGpuDecoder,
  type ReduceMode,
  type WebGpuDecoderOptions,
  type WeightReduction,
} from "./decoder.js";
import type { GpuContext } from "./device.js";
import { KernelRunner } from "./kernels.js";
import { JetTermSet, type HostMetricTerms, type JetTermFlags } from "./jet-terms.js";

export interface AutoencoderLoss {
  recon: number;
  /** λ_curv (0: no curvature term). */
  curv: number;
  route: Route;
  detEpsilon: number;
  /** ε of the regularised inverse (g + εI)⁻¹ in R (default 0). */
  inverseMetricEpsilon?: number;
  /**
   * "host": the curvature functional (F, W) is computed on the host from the fields read back, and
   * its seeds drive the assembly's adjoint; its value is not in the parts' loss. Default "R2".
   */
  functional?: "R2" | "host";
}

/** The uniform or grid measure's points of one step (m × d) and the weight of each; null: the batch. */
export interface CurvaturePoints {
  points: Float32Array;
  n: number;
  weight: number;
}

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The scalar results of one step (before its update). */
export interface AutoencoderStepParts {
  loss: number;
  recon: number;
  /** Σ_p w m_p √det g R² (= curv for R2). */
  r2: number;
  degenerate: number;
  volume: number;
  meanSqrtDetG: number;
  gradNorm: number;
}

export interface AutoencoderGradients {
  z: Float32Array;
  /** Σ_k (Ψ_k − x_k)² per point. */
  se: Float32Array;
  /** ∂(λ_recon·MSE)/∂z, n × d. */
  zbar: Float32Array;
  encoder: Float32Array;
  decoder: Float32Array;
  parts: AutoencoderStepParts;
}

export interface AutoencoderOptions {
  runner?: KernelRunner;
  /** Periodic latent: wrap z to (−π, π] (default: the decoder's torus embedding). */
  torus?: boolean;
  /** The curvature gradient's weight reduction (WebGpuDecoderOptions; default "direct" on CPU adapters). */
  reduce?: WebGpuDecoderOptions["reduce"];
  /**
   * The encoder's and the reconstruction's (one-column) weight reductions: default "direct" on CPU
   * adapters (the split-K kernels' barriers dominate there at training batch sizes), "tiled" on GPUs.
   */
  valueReduce?: ReduceMode;
  /** The terms of G = JᵀJ the steps will have (their kernels are prepared at creation). */
  jetTerms?: Partial<JetTermFlags>;
}

/** Per-point curvature fields as the device computes them: g (m × d × d), det g, √det g of g, R. */
export interface CurvatureFields {
  g: Float32Array;
  detg: Float32Array;
  sqrtdetg: Float32Array;
  R: Float32Array;
}

/** What a host functional (F, W) gets: the fields at the curvature points, those points and their weight. */
export interface FunctionalInput extends CurvatureFields {
  points: Float32Array;
  m: number;
  weight: number;
}

/**
 * Terms computed on the host between the step's passes: `latent` gets z and returns the adjoint of
 * the z-only terms (n × d); `metric` gives the regulariser points z̃ from z and the adjoints of the
 * terms of G (jet-terms.ts).
 */
export interface HostTerms {
  latent?: ((z: Float32Array) => Float32Array) | undefined;
  metric?: HostMetricTerms | undefined;
  /** A curvature functional computed on the host: returns the seeds ∂L/∂R, ∂L/∂√det g, ∂L/∂g (m × (2 + d²)). */
  functional?: ((input: FunctionalInput) => Float32Array) | undefined;
}

/** The step's counts: n batch points, m curvature points at zc of weight w each. */
interface StepShape {
  n: number;
  m: number;
  zc: GPUBuffer;
  weight: number;
  host: HostTerms;
}

type StepBuffers = ReturnType<WebGpuAutoencoder["buffers"]>;

export interface AdamState {
  t: number;
  encoder: { m: Float32Array; v: Float32Array };
  decoder: { m: Float32Array; v: Float32Array };
}

interface Net {
  plan: ValuePlan;
  tiled: TiledMlp;
  theta: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
}

export class WebGpuAutoencoder {
  readonly set: WgslAutoencoderSet;
  readonly decoder: WebGpuDecoder;
  readonly runner: KernelRunner;
  private readonly enc: Net;
  private readonly dec: Net;
  private readonly parts: GPUBuffer;
  /** Per-point kernels around the tiled products: z from the encoder, the reconstruction error, z̄ into the encoder. */
  private readonly encoderOut: WgslKernel;
  private readonly encoderSeed: WgslKernel;
  private readonly reconSeed: WgslKernel;
  private readonly pool: BufferPool;
  private readonly timeoutMs = 600_000;
  /** The terms of G = JᵀJ (chart-fixing, contractive), when asked for at creation. */
  private jets: JetTermSet | null = null;
  /** Adam steps taken (bias correction); restored from checkpoints. */
  adamSteps = 0;

  private constructor(
    readonly model: Model,
    readonly loss: AutoencoderLoss,
    decoder: WebGpuDecoder,
    set: WgslAutoencoderSet,
    /** How the encoder's and the reconstruction's weight gradients are reduced (see AutoencoderOptions). */
    readonly valueReduce: ReduceMode,
    /** Wrap z to (−π, π] (default: the decoder's torus embedding). */
    wrap?: boolean,
  ) {
    this.decoder = decoder;
    this.runner = decoder.runner;
    this.set = set;
    const device = this.runner.device;
    this.pool = new BufferPool(device);
    const buf = (n: number, label: string): GPUBuffer => createStorageBuffer(device, Math.max(n, 1) * 4, { label });
    const E = set.encoder.paramCount;
    const D = set.decoder.paramCount;
    const cfg = deviceTileConfig(device);
    const encPlan: TiledPlan = tiledPlan("value", "encoder", set.encoder.program, cfg);
    const decPlan: TiledPlan = tiledPlan("value", "recon", set.decoder.program, cfg);
    const torus = model.decoder.type === "mlp" && model.decoder.torusEmbedding;
    this.encoderOut = encoderOutKernel(encPlan, wrap ?? torus);
    this.encoderSeed = encoderSeedKernel(encPlan);
    this.reconSeed = reconSeedKernel(decPlan);
    this.enc = {
      plan: set.encoder,
      tiled: new TiledMlp(tiledKernels(encPlan, false), this.runner),
      theta: buf(E, "encoder.theta"),
      grad: buf(E, "encoder.grad"),
      m: buf(E, "encoder.m"),
      v: buf(E, "encoder.v"),
    };
    this.dec = {
      plan: set.decoder,
      tiled: new TiledMlp(tiledKernels(decPlan, true), this.runner),
      theta: decoder.paramsBuffer,
      grad: decoder.gradientBuffer(),
      m: buf(D, "decoder.m"),
      v: buf(D, "decoder.v"),
    };
    this.parts = buf(PARTS_FIELDS.length, "parts");
  }

  static async create(ctx: GpuContext, model: Model, loss: AutoencoderLoss, opts: AutoencoderOptions = {}): Promise<WebGpuAutoencoder> {
    const runner = opts.runner ?? KernelRunner.for(ctx);
    // Training batches are small: on CPU adapters the direct reduction beats the split-K ones (which
    // pay for barriers and tree sums); on GPUs the decoder's own choice stands.
    const reduce = opts.reduce ?? (ctx.software ? "direct" : "auto");
    const decoder = await WebGpuDecoder.create(ctx, model, {
      route: loss.route,
      runner,
      detEpsilon: loss.detEpsilon,
      inverseMetricEpsilon: loss.inverseMetricEpsilon ?? 0,
      seeded: loss.functional === "host",
      reduce,
    });
    const set = wgslAutoencoderSet(model, opts.torus);
    const ae = new WebGpuAutoencoder(model, loss, decoder, set, opts.valueReduce ?? (ctx.software ? "direct" : "tiled"), opts.torus);
    if (loss.curv > 0) await decoder.prepareTraining();
    const flags = { chart: false, decoderContractive: false, contractive: false, ...opts.jetTerms };
    if (flags.chart || flags.decoderContractive || flags.contractive)
      ae.jets = await JetTermSet.create(
        runner,
        deviceTileConfig(runner.device),
        { decoder: decoderProgram(model, 1), encoder: () => mlpProgram(`${model.name}.encoder`, model.encoder!, model.latentDim, 1) },
        flags,
      );
    const t = decoder.set.training!;
    await ae.enc.tiled.prepare();
    await ae.dec.tiled.prepare();
    for (const k of [ae.encoderOut, ae.encoderSeed, ae.reconSeed, set.trainParts, ae.valueReduction.reduce, t.gradFinalize, t.adam])
      await runner.prepare(k);
    return ae;
  }

  get device(): GPUDevice {
    return this.runner.device;
  }

  /** The tile plans of the encoder's and the reconstruction's products (bench: FLOPs per kernel). */
  get tiledPlans(): TiledPlan[] {
    return [this.enc.tiled.kernels.plan, this.dec.tiled.kernels.plan];
  }

  /** The encoder's, the reconstruction's and the jet terms' weight reductions. */
  private get valueReduction(): WeightReduction {
    const t = this.decoder.set.training!;
    const mode = this.valueReduce;
    return {
      mode,
      reduce: mode === "direct" ? this.set.gradReduceDirect : mode === "tiled" ? t.gradReduce : t.gradReducePoints,
      finalize: t.gradFinalize,
    };
  }

  private async read(buffer: GPUBuffer, floats: number): Promise<Float32Array> {
    if (floats === 0) return new Float32Array(0);
    return new Float32Array(await this.runner.settle(readBuffer(this.device, buffer, floats * 4), this.timeoutMs, "reading a result back"));
  }

  setParams(encoder: ArrayLike<number>, decoder: ArrayLike<number>): void {
    if (encoder.length !== this.enc.plan.paramCount)
      throw new RangeError(`expected ${this.enc.plan.paramCount} encoder parameters, got ${encoder.length}`);
    this.device.queue.writeBuffer(this.enc.theta, 0, Float32Array.from(encoder));
    this.decoder.setParams(decoder);
  }

  async readParams(): Promise<{ encoder: Float32Array; decoder: Float32Array }> {
    return {
      encoder: await this.read(this.enc.theta, this.enc.plan.paramCount),
      decoder: await this.read(this.dec.theta, this.dec.plan.paramCount),
    };
  }

  /** Adam's step count and moments (zero moments for a fresh run). */
  setAdamState(s: AdamState): void {
    this.adamSteps = s.t;
    for (const [net, st] of [
      [this.enc, s.encoder],
      [this.dec, s.decoder],
    ] as const) {
      const P = net.plan.paramCount;
      if (st.m.length !== P || st.v.length !== P)
        throw new RangeError(`Adam moments of ${P} parameters expected, got ${st.m.length} and ${st.v.length}`);
      this.device.queue.writeBuffer(net.m, 0, Float32Array.from(st.m));
      this.device.queue.writeBuffer(net.v, 0, Float32Array.from(st.v));
    }
  }

  async readAdamState(): Promise<AdamState> {
    const get = async (net: Net) => ({ m: await this.read(net.m, net.plan.paramCount), v: await this.read(net.v, net.plan.paramCount) });
    return { t: this.adamSteps, encoder: await get(this.enc), decoder: await get(this.dec) };
  }

  /** Records the weight reductions of one MLP (one jet column) from its tapes into `grad`. */
  private encodeReductions(
    pass: GPUComputePassEncoder,
    name: string,
    plan: ValuePlan,
    tape: GPUBuffer,
    adj: GPUBuffer,
    grad: GPUBuffer,
    n: number,
    accumulate: boolean,
  ): void {
    const partial = this.pool.floats(`${name}.partial`, partialFloats(this.valueReduce, plan.layers, 1, n));
    encodeWeightReductions(this.runner, pass, this.valueReduction, plan.layers, { tape, adj, partial, grad }, n, 1, accumulate);
  }

  private buffers(n: number, m: number) {
    const d = this.model.latentDim;
    const D = this.model.outputDim;
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    const encPlan = this.enc.tiled.kernels.plan;
    const decPlan = this.dec.tiled.kernels.plan;
    const rows = Math.max(encPlan.tape.tapeRows, encPlan.adjRows, decPlan.tape.tapeRows, decPlan.adjRows);
    if (rows * n * 4 > limit)
      throw new RangeError(
        `a batch of ${n} points needs ${rows * n * 4} bytes per tape, over the device's limit (${limit}): use a smaller batch`,
      );
    return {
      x: this.pool.floats("x", n * D),
      z: this.pool.floats("z", n * d),
      zbar: this.pool.floats("zbar", n * d),
      zextra: this.pool.floats("zextra", n * d),
      zjet: this.pool.floats("zjet", n * d),
      zm: this.pool.floats("zm", m * d),
      curvZbar: this.pool.floats("curvZbar", m * d),
      seed: this.pool.floats("seed", m * seedStride(d)),
      se: this.pool.floats("se", n),
      out: this.pool.floats("out", this.loss.curv > 0 ? m * this.decoder.set.perPoint : 1),
      tapeE: this.pool.floats("encoder.tape", encPlan.tape.tapeRows * n),
      adjE: this.pool.floats("encoder.adj", encPlan.adjRows * n),
      tapeD: this.pool.floats("decoder.tape", decPlan.tape.tapeRows * n),
      adjD: this.pool.floats("decoder.adj", decPlan.adjRows * n),
    };
  }

  /**
   * Forward, backward and the gradients of the step's loss on the batch x (n × D), no update. With
   * host terms the step pauses after the encoder (and the curvature forward, for a host functional):
   * z (and the curvature fields) are read back, the host's adjoints written, then the backward pass.
   */
  private async compute(
    x: Float32Array,
    n: number,
    poisonOutputs: boolean,
    host: HostTerms = {},
    measure?: CurvaturePoints | null,
  ): Promise<StepBuffers> {
    const D = this.model.outputDim;
    const d = this.model.latentDim;
    if (x.length < n * D) throw new RangeError(`expected ${n} × ${D} data values, got ${x.length}`);
    const m = measure ? measure.n : n;
    if (measure && measure.points.length < m * d) throw new RangeError(`expected ${m} × ${d} measure points, got ${measure.points.length}`);
    const b = this.buffers(n, m);
    this.device.queue.writeBuffer(b.x, 0, x, 0, n * D);
    if (measure) this.device.queue.writeBuffer(b.zm, 0, measure.points, 0, m * d);
    if (poisonOutputs)
      for (const buf of [b.z, b.zbar, b.se, b.out, b.tapeE, b.adjE, b.tapeD, b.adjD, this.enc.grad, this.dec.grad, this.parts])
        poison(this.device, buf);
    const step: StepShape = { n, m, zc: measure ? b.zm : b.z, weight: measure?.weight ?? 1 / n, host };
    if (!this.jets?.decoderJ) this.device.queue.writeBuffer(b.zjet, 0, new Float32Array(n * d));
    if (!host.latent && !host.metric && !host.functional) {
      this.device.queue.writeBuffer(b.zextra, 0, new Float32Array(n * d));
      await this.runner.run((pass) => (this.encodeEncoder(pass, b, n), this.encodeBackward(pass, b, step)), this.timeoutMs);
      return b;
    }
    const functional = host.functional && this.loss.curv > 0 ? host.functional : null;
    await this.runner.run((pass) => {
      this.encodeEncoder(pass, b, n);
      if (functional) this.decoder.encodeCurvature(pass, step.zc, b.out, m);
    }, this.timeoutMs);
    const z = await this.read(b.z, n * d);
    this.device.queue.writeBuffer(b.zextra, 0, host.latent ? host.latent(z) : new Float32Array(n * d), 0, n * d);
    if (host.metric)
      await this.requireJets().prepareAdjoints(
        (record) => this.runner.run(record, this.timeoutMs),
        (buffer, floats) => this.read(buffer, floats),
        host.metric,
        { z, zBuffer: b.z, xBuffer: b.x, decoderTheta: this.dec.theta, encoderTheta: this.enc.theta },
        n,
      );
    if (functional) {
      const fields = await this.readFields(b.out, m);
      const seeds = functional({ ...fields, points: measure ? measure.points : z, m, weight: step.weight });
      this.device.queue.writeBuffer(b.seed, 0, seeds, 0, m * seedStride(d));
    }
    await this.runner.run((pass) => this.encodeBackward(pass, b, step), this.timeoutMs);
    return b;
  }

  /** The encoder's products and z = Φ(x). */
  private encodeEncoder(pass: GPUComputePassEncoder, b: StepBuffers, n: number): void {
    const cfg = { n, scale: this.loss.recon / (n * this.model.outputDim) };
    this.enc.tiled.encodeForward(pass, { theta: this.enc.theta, src: b.x, tape: b.tapeE }, cfg, n);
    this.runner.dispatch(pass, this.encoderOut, { tape: b.tapeE, z: b.z }, cfg, [Math.ceil(n / POINT_WORKGROUP)]);
  }

  /** Everything after the encoder: curvature, reconstruction and jet-term gradients, the encoder's backward, the sums. */
  private encodeBackward(pass: GPUComputePassEncoder, b: StepBuffers, step: StepShape): void {
    const { n, m, host } = step;
    const curv = this.loss.curv;
    const cfg = { n, scale: this.loss.recon / (n * this.model.outputDim) };
    const groups = [Math.ceil(n / POINT_WORKGROUP)] as const;
    const jetReduction = this.valueReduction;
    // The curvature gradient first (z held fixed), then the reconstruction's is added.
    if (curv > 0)
      this.decoder.encodeGradient(pass, step.zc, b.out, b.curvZbar, m, host.functional ? { seed: b.seed } : { lbar: curv * step.weight });
    this.dec.tiled.encodeForward(pass, { theta: this.dec.theta, src: b.z, tape: b.tapeD }, cfg, n);
    this.runner.dispatch(pass, this.reconSeed, { tape: b.tapeD, x: b.x, adj: b.adjD, se: b.se }, cfg, groups);
    this.dec.tiled.encodeBackward(pass, { theta: this.dec.theta, tape: b.tapeD, adj: b.adjD, src: b.z, zbar: b.zbar }, cfg, n);
    this.encodeReductions(pass, "decoder", this.dec.plan, b.tapeD, b.adjD, this.dec.grad, n, curv > 0);
    if (host.metric)
      this.requireJets().encodeDecoder(pass, { theta: this.dec.theta, grad: this.dec.grad, z: b.z, zjet: b.zjet }, n, jetReduction);
    this.runner.dispatch(pass, this.encoderSeed, { tape: b.tapeE, zbar: b.zbar, adj: b.adjE, zextra: b.zextra, zjet: b.zjet }, cfg, groups);
    this.enc.tiled.encodeBackward(pass, { theta: this.enc.theta, tape: b.tapeE, adj: b.adjE }, cfg, n);
    this.encodeReductions(pass, "encoder", this.enc.plan, b.tapeE, b.adjE, this.enc.grad, n, false);
    if (host.metric) this.requireJets().encodeEncoder(pass, { theta: this.enc.theta, grad: this.enc.grad }, n, jetReduction);
    this.runner.dispatch(
      pass,
      this.set.trainParts,
      { se: b.se, out: b.out, gradE: this.enc.grad, gradD: this.dec.grad, parts: this.parts },
      { n, m, curv: curv > 0 ? 1 : 0, countE: this.enc.plan.paramCount, countD: this.dec.plan.paramCount, detEps: this.loss.detEpsilon },
      [1],
    );
  }

  /** The curvature fields of m points, read back (field-major on the device). */
  private async readFields(out: GPUBuffer, m: number): Promise<CurvatureFields> {
    const all = await this.read(out, m * this.decoder.set.perPoint);
    const field = (name: string): Float32Array => {
      const f = this.decoder.set.fields.find((x) => x.name === name)!;
      return all.slice(f.offset * m, (f.offset + f.size) * m);
    };
    return { g: field("g"), detg: field("detg"), sqrtdetg: field("sqrtdetg"), R: field("R") };
  }

  private requireJets(): JetTermSet {
    if (!this.jets) throw new Error("terms of G need WebGpuAutoencoder.create(…, { jetTerms })");
    return this.jets;
  }

  private async readParts(n: number, measure?: CurvaturePoints | null): Promise<AutoencoderStepParts> {
    const v = await this.read(this.parts, PARTS_FIELDS.length);
    const [se, r2sum, live, sqrtSum, gE, gD] = Array.from(v) as [number, number, number, number, number, number];
    const recon = se / (n * this.model.outputDim);
    const useCurv = this.loss.curv > 0;
    const m = measure ? measure.n : n;
    const w = measure ? measure.weight : 1 / n;
    const r2 = useCurv ? r2sum * w : 0;
    return {
      loss: this.loss.recon * recon + (this.loss.functional === "host" ? 0 : this.loss.curv * r2),
      recon,
      r2,
      degenerate: useCurv ? m - live : 0,
      volume: useCurv ? sqrtSum * w : 0,
      meanSqrtDetG: useCurv ? sqrtSum / Math.max(live, 1) : 0,
      gradNorm: Math.sqrt(gE + gD),
    };
  }

  /**
   * The step's loss parts and gradient norm on the batch x (n × D), gradients left on the device.
   * `latent` adds the host's z-only terms (see compute); their values are the caller's to add.
   */
  async evaluateStep(x: Float32Array, n: number, host: HostTerms = {}, measure?: CurvaturePoints | null): Promise<AutoencoderStepParts> {
    await this.compute(x, n, false, host, measure);
    return this.readParts(n, measure);
  }

  /** Everything a step computes, read back (tests); outputs are poisoned with NaN first if asked. */
  async gradients(
    x: Float32Array,
    n: number,
    opts: { poison?: boolean; host?: HostTerms; measure?: CurvaturePoints | undefined } = {},
  ): Promise<AutoencoderGradients> {
    const b = await this.compute(x, n, opts.poison ?? false, opts.host, opts.measure);
    const d = this.model.latentDim;
    return {
      z: await this.read(b.z, n * d),
      se: await this.read(b.se, n),
      zbar: await this.read(b.zbar, n * d),
      encoder: await this.read(this.enc.grad, this.enc.plan.paramCount),
      decoder: await this.read(this.dec.grad, this.dec.plan.paramCount),
      parts: await this.readParts(n, opts.measure),
    };
  }

  /** Adam on the gradients of the last step, for both networks (the trainer's update formula). */
  async applyAdam(h: AdamSettings): Promise<void> {
    this.adamSteps++;
    const t = this.decoder.set.training!;
    await this.runner.run((pass) => {
      for (const net of [this.enc, this.dec]) {
        const P = net.plan.paramCount;
        const groups = Math.ceil(P / ADAM_WORKGROUP);
        const x = Math.min(groups, 65535);
        const cfg = adamUniform({ lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.epsilon, weightDecay: 0 }, P, this.adamSteps);
        this.runner.dispatch(pass, t.adam, { theta: net.theta, grad: net.grad, m: net.m, v: net.v }, cfg, [x, Math.ceil(groups / x)]);
      }
    }, this.timeoutMs);
  }

  destroy(): void {
    for (const b of [this.enc.theta, this.enc.grad, this.enc.m, this.enc.v, this.dec.m, this.dec.v, this.parts]) b.destroy();
    this.pool.destroy();
    this.jets?.destroy();
    this.decoder.destroy();
  }
}
