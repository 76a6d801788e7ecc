/**
 * Terms of G = JᵀJ of an MLP's order-1 jets in a webgpu step (emit/wgsl-chart.ts): the jets at
 * some points through the tiled products, G (or its trace) read back for the host, then, with
 * A = ∂L/∂G from the host (runtime/train/chart-terms.ts), the output layer's adjoint, the adjoint
 * products, the weight reductions added to the network's gradient, and with `inputAdjoint` the
 * points' adjoint z̄ (the decoder's contractive term reaches the encoder through it).
 */
import {
  jetMetricKernel,
  jetSeedKernel,
  layerGradPlans,
  tiledKernels,
  tiledPlan,
  type DecoderProgram,
  type LayerGradPlan,
  type MetricMode,
  type TileConfig,
  type WgslKernel,
} from "../../emit/facade.js";
import { BufferPool } from "./buffers.js";
import { encodeWeightReductions, partialFloats, type WeightReduction } from "./decoder.js";
import type { KernelRunner } from "./kernels.js";
import { TiledMlp } from "./tiled.js";

export interface JetTermsSpec {
  /** Kernel name prefix: "chart", "decJ", "encJ". */
  prefix: string;
  /** The network's order-1 program (its input dimension is the jets' d). */
  program: DecoderProgram;
  mode: MetricMode;
  /** Also compute z̄, the adjoint of the points. */
  inputAdjoint: boolean;
}

export class DeviceJetTerms {
  readonly mlp: TiledMlp;
  private readonly metric: WgslKernel;
  private readonly seed: WgslKernel;
  private readonly layers: LayerGradPlan[];
  private readonly pool: BufferPool;

  constructor(
    readonly spec: JetTermsSpec,
    readonly runner: KernelRunner,
    tiles: TileConfig,
  ) {
    this.pool = new BufferPool(runner.device, `${spec.prefix}.`);
    const plan = tiledPlan("curvature", spec.prefix, spec.program, tiles);
    this.mlp = new TiledMlp(tiledKernels(plan, spec.inputAdjoint), runner);
    this.metric = jetMetricKernel(plan, spec.mode);
    this.seed = jetSeedKernel(plan, spec.mode);
    this.layers = layerGradPlans(spec.program, plan.tape);
  }

  async prepare(): Promise<void> {
    await this.mlp.prepare();
    for (const k of [this.metric, this.seed]) await this.runner.prepare(k);
  }

  /** Floats per point of G as read back: d² ("matrix") or 1 ("trace"). */
  get perPoint(): number {
    return this.spec.mode === "trace" ? 1 : this.spec.program.latentDim ** 2;
  }

  private buffers(n: number) {
    const plan = this.mlp.kernels.plan;
    return {
      tape: this.pool.floats("tape", plan.tape.tapeRows * n),
      adj: this.pool.floats("adj", plan.adjRows * n),
      gout: this.pool.floats("gout", n * this.perPoint),
      gbar: this.pool.floats("gbar", n * this.perPoint),
    };
  }

  private readonly pointValues = (n: number) => ({ n, base: 0, total: n, lbar: 0, detEps: 0 });

  private groups(n: number): [number] {
    return [Math.ceil(n / this.mlp.kernels.plan.lanes)];
  }

  /** A device buffer holding `points` (n × d), for points made on the host (z̃). */
  upload(points: Float32Array, n: number): GPUBuffer {
    const d = this.spec.program.latentDim;
    const src = this.pool.floats("points", n * d);
    this.runner.device.queue.writeBuffer(src, 0, points, 0, n * d);
    return src;
  }

  /** Records the jets at the points in `src` (n × d) and G (or its trace) into the returned buffer. */
  encodeMetric(pass: GPUComputePassEncoder, theta: GPUBuffer, src: GPUBuffer, n: number): GPUBuffer {
    const b = this.buffers(n);
    this.mlp.encodeForward(pass, { theta, src, tape: b.tape }, this.pointValues(n), n);
    this.runner.dispatch(pass, this.metric, { tape: b.tape, gout: b.gout }, this.pointValues(n), this.groups(n));
    return b.gout;
  }

  /** Uploads A = ∂L/∂G (n × d × d, or n scalars in "trace" mode) for the next encodeGradient. */
  setAdjoint(gbar: Float32Array, n: number): void {
    this.runner.device.queue.writeBuffer(this.buffers(n).gbar, 0, gbar, 0, n * this.perPoint);
  }

  /**
   * Records Ā of the output layer, the adjoint products and the weight reductions, added to `grad`;
   * with the input adjoint, z̄ of the points (src, as in encodeMetric) is written to `zbar`.
   */
  encodeGradient(
    pass: GPUComputePassEncoder,
    b: { theta: GPUBuffer; grad: GPUBuffer; src?: GPUBuffer; zbar?: GPUBuffer },
    n: number,
    r: WeightReduction,
  ): void {
    const { tape, adj, gbar } = this.buffers(n);
    const plan = this.mlp.kernels.plan;
    this.runner.dispatch(pass, this.seed, { tape, gbar, adj }, this.pointValues(n), this.groups(n));
    this.mlp.encodeBackward(
      pass,
      { theta: b.theta, tape, adj, ...(b.src && b.zbar ? { src: b.src, zbar: b.zbar } : {}) },
      this.pointValues(n),
      n,
    );
    const partial = this.pool.floats("partial", partialFloats(r.mode, this.layers, plan.columns, n));
    encodeWeightReductions(this.runner, pass, r, this.layers, { tape, adj, partial, grad: b.grad }, n, plan.columns, true);
  }

  destroy(): void {
    this.pool.destroy();
  }
}

/** Which terms of G a step has: the chart-fixing ones, the decoder's and the encoder's contractive. */
export interface JetTermFlags {
  chart: boolean;
  decoderContractive: boolean;
  contractive: boolean;
}

/** G at z̃ (n × d × d), Tr G of the decoder at z and of the encoder at x (n each); or their adjoints. */
export interface JetMetrics {
  chart?: Float32Array;
  decoderTrace?: Float32Array;
  encoderTrace?: Float32Array;
}

/** The host's share: z̃ from z (chart terms), and the adjoints A = ∂L/∂G from the metrics read back. */
export interface HostMetricTerms {
  chartPoints?: (z: Float32Array) => Float32Array;
  adjoints: (metrics: JetMetrics) => JetMetrics;
}

/** The jet terms of one autoencoder, each on its own order-1 plan. */
export class JetTermSet {
  private constructor(
    readonly chart: DeviceJetTerms | null,
    readonly decoderJ: DeviceJetTerms | null,
    readonly encoderJ: DeviceJetTerms | null,
  ) {}

  static async create(
    runner: KernelRunner,
    tiles: TileConfig,
    programs: { decoder: DecoderProgram; encoder: () => DecoderProgram },
    flags: JetTermFlags,
  ): Promise<JetTermSet> {
    const make = (spec: JetTermsSpec): DeviceJetTerms => new DeviceJetTerms(spec, runner, tiles);
    const set = new JetTermSet(
      flags.chart ? make({ prefix: "chart", program: programs.decoder, mode: "matrix", inputAdjoint: false }) : null,
      flags.decoderContractive ? make({ prefix: "decJ", program: programs.decoder, mode: "trace", inputAdjoint: true }) : null,
      flags.contractive ? make({ prefix: "encJ", program: programs.encoder(), mode: "trace", inputAdjoint: false }) : null,
    );
    for (const t of set.all) await t.prepare();
    return set;
  }

  private get all(): DeviceJetTerms[] {
    return [this.chart, this.decoderJ, this.encoderJ].filter((t): t is DeviceJetTerms => t !== null);
  }

  get any(): boolean {
    return this.all.length > 0;
  }

  /**
   * One submission for the metrics (`run` records and submits), read back, the host's adjoints
   * uploaded for encodeDecoder/encodeEncoder.
   */
  async prepareAdjoints(
    run: (record: (pass: GPUComputePassEncoder) => void) => Promise<void>,
    read: (buffer: GPUBuffer, floats: number) => Promise<Float32Array>,
    host: HostMetricTerms,
    b: { z: Float32Array; zBuffer: GPUBuffer; xBuffer: GPUBuffer; decoderTheta: GPUBuffer; encoderTheta: GPUBuffer },
    n: number,
  ): Promise<void> {
    const out: { chart?: GPUBuffer; decoderTrace?: GPUBuffer; encoderTrace?: GPUBuffer } = {};
    let zt: GPUBuffer | null = null;
    if (this.chart) {
      if (!host.chartPoints) throw new Error("the chart-fixing terms need their regulariser points");
      zt = this.chart.upload(host.chartPoints(b.z), n);
    }
    await run((pass) => {
      if (this.chart && zt) out.chart = this.chart.encodeMetric(pass, b.decoderTheta, zt, n);
      if (this.decoderJ) out.decoderTrace = this.decoderJ.encodeMetric(pass, b.decoderTheta, b.zBuffer, n);
      if (this.encoderJ) out.encoderTrace = this.encoderJ.encodeMetric(pass, b.encoderTheta, b.xBuffer, n);
    });
    const [chart, decoderTrace, encoderTrace] = await Promise.all([
      this.chart ? read(out.chart!, n * this.chart.perPoint) : undefined,
      this.decoderJ ? read(out.decoderTrace!, n) : undefined,
      this.encoderJ ? read(out.encoderTrace!, n) : undefined,
    ]);
    const metrics: JetMetrics = { ...(chart && { chart }), ...(decoderTrace && { decoderTrace }), ...(encoderTrace && { encoderTrace }) };
    const adj = host.adjoints(metrics);
    if (this.chart) this.chart.setAdjoint(adj.chart!, n);
    if (this.decoderJ) this.decoderJ.setAdjoint(adj.decoderTrace!, n);
    if (this.encoderJ) this.encoderJ.setAdjoint(adj.encoderTrace!, n);
  }

  /** The decoder's terms: weight gradients added to `grad`, the contractive term's z̄ into `zjet`. */
  encodeDecoder(
    pass: GPUComputePassEncoder,
    b: { theta: GPUBuffer; grad: GPUBuffer; z: GPUBuffer; zjet: GPUBuffer },
    n: number,
    r: WeightReduction,
  ): void {
    this.chart?.encodeGradient(pass, { theta: b.theta, grad: b.grad }, n, r);
    this.decoderJ?.encodeGradient(pass, { theta: b.theta, grad: b.grad, src: b.z, zbar: b.zjet }, n, r);
  }

  /** The encoder's contractive term: weight gradients added to `grad`. */
  encodeEncoder(pass: GPUComputePassEncoder, b: { theta: GPUBuffer; grad: GPUBuffer }, n: number, r: WeightReduction): void {
    this.encoderJ?.encodeGradient(pass, b, n, r);
  }

  destroy(): void {
    for (const t of this.all) t.destroy();
  }
}
