/** An MLP decoder's tiled kernels: the jet products and the per-point curvature assembly. */
export interface TiledDecoder {
  mlp: TiledMlp;
  assemble: WgslKernel;
  assembleTrain: WgslKernel;
  /** The assembly's adjoint from a host functional's seeds (F, W), when asked for. */
  assembleSeeded: WgslKernel | null;
}

/**
 * A model's decoder on WebGPU: curvature (g, det g, √det g, R, R²√det g) for a batch of latent
 * points, the gradient of the curvature loss L = mean_batch R²√det g with respect to every decoder
 * parameter (and to z), and Adam steps with the parameters resident on the device.
 *
 * An MLP decoder runs the tiled kernels (emit/wgsl-tiled.ts): the input jet, one matrix product per
 * layer with the activation's jet rule in its epilogue, the per-point curvature assembly (and its
 * adjoint), the adjoint products and the weight reductions. An analytic decoder runs one per-point
 * kernel (emit/wgsl.ts). Batches larger than the device allows for one tape
 * (maxStorageBufferBindingSize) are processed in chunks; the weight gradient of each chunk is added
 * to the previous ones on the device.
 */
import {
  type Route,
  POINTS_TILE,
  REDUCE_TILE,
  REDUCE_TK,
  wgslKernelSet,
  type LayerGradPlan,
  type WgslKernelSet,
  ADAM_DEFAULTS,
  ADAM_WORKGROUP,
  adamUniform,
  type AdamHyper,
  POINT_WORKGROUP,
  DIRECT_TILE,
  gradReduceDirectKernel,
  tileCurvaturePlan as curvaturePlan,
  type TileConfig,
  assembleKernel,
  assembleSeededKernel,
  tiledKernels,
  type WgslKernel,
} from "../../emit/facade.js";
import type { Model } from "../../model/types.js";
import { BufferPool, createStorageBuffer, poison, readBuffer } from "./buffers.js";
import type { GpuContext } from "./device.js";
import { KernelRunner } from "./kernels.js";
import { deviceTileConfig, TiledMlp } from "./tiled.js";

export interface CurvatureResult {
  /** n × d × d row-major. */
  g: Float32Array;
  detg: Float32Array;
  sqrtdetg: Float32Array;
  R: Float32Array;
  /** R²√det g per point. */
  loss: Float32Array;
  /** mean over the batch of R²√det g. */
  meanLoss: number;
}

export interface GradientResult extends CurvatureResult {
  /** ∂L/∂θ, flat in ParamLayout order. */
  grad: Float32Array;
  /** ∂L/∂z, n × d. */
  zbar: Float32Array;
}

export interface WebGpuDecoderOptions {
  route?: Route;
  /** Largest number of points per dispatch of the training kernels (default: as the device allows, ≤ 65536). */
  maxChunk?: number;
  /** The pipeline cache to use (default: the one shared by everything on this device). */
  runner?: KernelRunner;
  /** Per-submit limit before failing with a clear message (default 10 min). */
  timeoutMs?: number;
  /**
   * Weight-gradient reduction (see {@link ReduceMode}); "auto" (default) picks "tiled" on GPUs and
   * "points" on software adapters.
   */
  reduce?: ReduceMode | "auto";
  /** Points with det g ≤ this are degenerate: no weight in the loss gradient (default 0). */
  detEpsilon?: number;
  /** ε of the regularised inverse: R from g + εI, √det g from g (default 0; MLP decoders only). */
  inverseMetricEpsilon?: number;
  /** Also prepare the seeded assembly adjoint (functionals computed on the host: F, W). */
  seeded?: boolean;
  /** Tile sizes of the products (default: from the device's limits). */
  tiles?: TileConfig;
}

export interface GradientEncodeOptions {
  /** Adjoint of Σ_points R²√det g (default 1/n: the batch mean). */
  lbar?: number;
  /** Add to the gradient buffer instead of overwriting it. */
  accumulate?: boolean;
  /**
   * The host's seeds ∂L/∂R, ∂L/∂√det g, ∂L/∂g per point (n × (2 + d²)) for a functional computed on
   * the host (F, W): the seeded assembly adjoint runs instead of the one of lbar·R²√det g, and `out`
   * is not written (it holds the fields of the forward pass that the seeds came from).
   */
  seed?: GPUBuffer;
}

export interface RunOptions {
  /** Fill outputs (and the tapes) with NaN first, so that an unwritten element shows. */
  poison?: boolean;
}

/** Workgroups wanted per reduction dispatch, to fill a large GPU. */
const TARGET_WORKGROUPS = 512;
const MAX_POINTS_PER_DISPATCH = 65535 * POINT_WORKGROUP;

/** Output tile edge of a weight-reduction variant. */
export const reductionTile = (reduce: ReduceMode): number =>
  reduce === "tiled" ? REDUCE_TILE : reduce === "points" ? POINTS_TILE : DIRECT_TILE;

/**
 * Weight-reduction kernels: "tiled" (split-K, shared-memory tiles: GPUs), "points" (split-K, lanes
 * over points: CPU adapters, large batches), "direct" (one invocation per weight tile, no split:
 * CPU adapters at training batch sizes).
 */
export type ReduceMode = "tiled" | "points" | "direct";

/** Workgroup grid of one layer's reduction dispatch. */
export function reductionGrid(reduce: ReduceMode, l: { units: number; fanIn: number }, splits: number): [number, number, number] {
  const tile = reductionTile(reduce);
  const tilesI = Math.ceil((l.fanIn + 1) / tile);
  const tilesO = Math.ceil(l.units / tile);
  return reduce === "direct" ? [Math.ceil((tilesI * tilesO) / 64), 1, 1] : [tilesI, tilesO, splits];
}

/** Split-K plan of one layer's weight reduction over `cols` jet columns of m points. */
export function reductionSplits(
  reduce: ReduceMode,
  l: { units: number; fanIn: number },
  cols: number,
  m: number,
): { splits: number; kChunk: number } {
  if (reduce === "direct") return { splits: 1, kChunk: m };
  const tile = reductionTile(reduce);
  const tiles = Math.ceil(l.units / tile) * Math.ceil((l.fanIn + 1) / tile);
  if (reduce === "points") {
    // Splits are ranges of points.
    let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.ceil(m / 512)));
    const kChunk = Math.ceil(Math.ceil(m / splits) / POINT_WORKGROUP) * POINT_WORKGROUP;
    splits = Math.ceil(m / kChunk);
    return { splits, kChunk };
  }
  // Splits are ranges of (column, point) pairs.
  const K = cols * m;
  let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.ceil(K / 2048)));
  const kChunk = Math.ceil(Math.ceil(K / splits) / REDUCE_TK) * REDUCE_TK;
  splits = Math.ceil(K / kChunk);
  return { splits, kChunk };
}

/** The kernels of one weight reduction: its variant, the partial sums, and the finalize into the gradient. */
export interface WeightReduction {
  mode: ReduceMode;
  reduce: WgslKernel;
  finalize: WgslKernel;
}

/** Floats of the split partials of these layers' reductions (the largest layer's). */
export function partialFloats(mode: ReduceMode, layers: readonly LayerGradPlan[], cols: number, m: number): number {
  return Math.max(...layers.map((l) => reductionSplits(mode, l, cols, m).splits * l.units * (l.fanIn + 1)));
}

/**
 * Records [W̄_l | b̄_l] of every layer from the tapes of m points (`cols` jet columns) into `grad`,
 * added to it with `accumulate`; `partial` holds {@link partialFloats} floats.
 */
export function encodeWeightReductions(
  runner: KernelRunner,
  pass: GPUComputePassEncoder,
  r: WeightReduction,
  layers: readonly LayerGradPlan[],
  b: { tape: GPUBuffer; adj: GPUBuffer; partial: GPUBuffer; grad: GPUBuffer },
  m: number,
  cols: number,
  accumulate: boolean,
): void {
  for (const l of layers) {
    const { splits, kChunk } = reductionSplits(r.mode, l, cols, m);
    runner.dispatch(
      pass,
      r.reduce,
      { adj: b.adj, tape: b.tape, partial: b.partial },
      { n: m, cols, units: l.units, fanIn: l.fanIn, aRow: l.aRow, xRow: l.xRow, chunk: kChunk },
      reductionGrid(r.mode, l, splits),
    );
    runner.dispatch(
      pass,
      r.finalize,
      { partial: b.partial, grad: b.grad },
      { units: l.units, fanIn: l.fanIn, wOffset: l.wOffset, bOffset: l.bOffset, splits, accumulate: accumulate ? 1 : 0 },
      [Math.ceil((l.units * (l.fanIn + 1)) / 64)],
    );
  }
}

export class WebGpuDecoder {
  readonly set: WgslKernelSet;
  readonly runner: KernelRunner;
  readonly chunk: number;
  /** The weight-reduction variant in use. */
  readonly reduce: ReduceMode;
  private readonly direct = gradReduceDirectKernel();
  private readonly timeoutMs: number;
  private readonly detEpsilon: number;
  private readonly theta: GPUBuffer;
  private grad: GPUBuffer | null = null;
  private moments: [GPUBuffer, GPUBuffer] | null = null;
  private readonly scalars: GPUBuffer;
  private readonly pool: BufferPool;
  private adamStepCount = 0;

  /** The tiled kernels (MLP decoders); null for an analytic decoder. */
  readonly tiled: TiledDecoder | null;

  private constructor(set: WgslKernelSet, runner: KernelRunner, opts: WebGpuDecoderOptions, tiled: TiledDecoder | null) {
    this.set = set;
    this.tiled = tiled;
    this.runner = runner;
    this.timeoutMs = opts.timeoutMs ?? 600_000;
    this.detEpsilon = opts.detEpsilon ?? 0;
    this.reduce = opts.reduce && opts.reduce !== "auto" ? opts.reduce : runner.ctx.software ? "points" : "tiled";
    const device = runner.device;
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const t = set.training;
    const plan = tiled?.mlp.kernels.plan;
    const perPointBytes = plan
      ? 4 * Math.max(plan.tape.tapeRows, plan.adjRows)
      : t
        ? 4 * Math.max(t.plan.tape.tapeRows, t.plan.tape.adjRows)
        : 4 * set.perPoint;
    let chunk = Math.min(opts.maxChunk ?? 65536, Math.floor(limit / perPointBytes), MAX_POINTS_PER_DISPATCH);
    if (chunk >= POINT_WORKGROUP) chunk -= chunk % POINT_WORKGROUP;
    if (chunk < 1)
      throw new RangeError(`model ${set.model}: one point's tape (${perPointBytes} bytes) exceeds the device's buffer limit (${limit})`);
    this.chunk = chunk;
    this.theta = createStorageBuffer(device, Math.max(set.paramCount, 1) * 4, { label: "theta" });
    this.pool = new BufferPool(device);
    this.scalars = createStorageBuffer(device, 16, { label: "scalars" });
  }

  static async create(ctx: GpuContext, model: Model, opts: WebGpuDecoderOptions = {}): Promise<WebGpuDecoder> {
    const route = opts.route ?? "b";
    const set = wgslKernelSet(model, route);
    const runner = opts.runner ?? KernelRunner.for(ctx);
    let tiled: TiledDecoder | null = null;
    if (model.decoder.type === "mlp") {
      const plan = curvaturePlan(model, route, opts.tiles ?? deviceTileConfig(runner.device));
      tiled = {
        mlp: new TiledMlp(tiledKernels(plan, true), runner),
        assemble: assembleKernel(plan, route, false, opts.inverseMetricEpsilon ?? 0),
        assembleTrain: assembleKernel(plan, route, true, opts.inverseMetricEpsilon ?? 0),
        assembleSeeded: opts.seeded ? assembleSeededKernel(plan, route, opts.inverseMetricEpsilon ?? 0) : null,
      };
    } else if ((opts.inverseMetricEpsilon ?? 0) > 0)
      throw new RangeError(`model ${model.name}: the ε-regularised inverse needs an MLP decoder`);
    const dec = new WebGpuDecoder(set, runner, opts, tiled);
    if (tiled) {
      await runner.prepare(tiled.mlp.kernels.input);
      for (const k of tiled.mlp.kernels.forward) await runner.prepare(k);
      await runner.prepare(tiled.assemble);
    } else await runner.prepare(set.curvature);
    await runner.prepare(set.reduceSum);
    return dec;
  }

  get device(): GPUDevice {
    return this.runner.device;
  }

  /** Compiles the training kernels (done on first use; call early to keep compile time out of timings). */
  async prepareTraining(): Promise<void> {
    const t = this.requireTraining();
    const tiled = this.requireTiled();
    await tiled.mlp.prepare();
    for (const k of [tiled.assembleTrain, this.reduceKernel(), t.gradFinalize, t.adam]) await this.runner.prepare(k);
    if (tiled.assembleSeeded) await this.runner.prepare(tiled.assembleSeeded);
  }

  private reduceKernel() {
    const t = this.requireTraining();
    return this.reduce === "tiled" ? t.gradReduce : this.reduce === "points" ? t.gradReducePoints : this.direct;
  }

  /** The device buffer of the flat decoder parameters (for runtimes that update it in place). */
  get paramsBuffer(): GPUBuffer {
    return this.theta;
  }

  /** The device buffer the gradient kernels write ∂L/∂θ to (created on first use). */
  gradientBuffer(): GPUBuffer {
    return (this.grad ??= createStorageBuffer(this.device, Math.max(this.set.paramCount, 1) * 4, { label: "grad" }));
  }

  private requireTraining(): NonNullable<WgslKernelSet["training"]> {
    if (!this.set.training) throw new Error(`model ${this.set.model}: an analytic decoder has no parameters to differentiate`);
    return this.set.training;
  }

  private requireTiled(): TiledDecoder {
    if (!this.tiled) throw new Error(`model ${this.set.model}: an analytic decoder has no parameters to differentiate`);
    return this.tiled;
  }

  setParams(theta: ArrayLike<number>): void {
    if (theta.length !== this.set.paramCount) throw new RangeError(`expected ${this.set.paramCount} parameters, got ${theta.length}`);
    if (theta.length) this.device.queue.writeBuffer(this.theta, 0, Float32Array.from(theta));
  }

  async readParams(): Promise<Float32Array> {
    return new Float32Array(await this.read(this.theta, this.set.paramCount * 4));
  }

  private async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    return this.runner.settle(readBuffer(this.device, buffer, bytes), this.timeoutMs, "reading a result back");
  }

  private setPoints(points: ArrayLike<number>, n: number): GPUBuffer {
    const d = this.set.latentDim;
    if (points.length < n * d) throw new RangeError(`expected ${n} × ${d} latent coordinates, got ${points.length}`);
    const z = this.pool.floats("z", n * d);
    this.device.queue.writeBuffer(
      z,
      0,
      Float32Array.from({ length: n * d }, (_, i) => points[i]!),
    );
    return z;
  }

  private async readCurvature(out: GPUBuffer, n: number): Promise<CurvatureResult> {
    const [all, scalars] = await Promise.all([this.read(out, n * this.set.perPoint * 4), this.read(this.scalars, 4)]);
    const f = (name: string): Float32Array => {
      const field = this.set.fields.find((x) => x.name === name)!;
      return new Float32Array(all, field.offset * n * 4, field.size * n);
    };
    return { g: f("g"), detg: f("detg"), sqrtdetg: f("sqrtdetg"), R: f("R"), loss: f("loss"), meanLoss: new Float32Array(scalars)[0]! };
  }

  private encodeMeanLoss(pass: GPUComputePassEncoder, out: GPUBuffer, n: number): void {
    const lossField = this.set.fields.find((x) => x.name === "loss")!;
    this.runner.dispatch(
      pass,
      this.set.reduceSum,
      { src: out, dst: this.scalars },
      { count: n, offset: lossField.offset * n, dst: 0, scale: 1 / n },
      [1],
    );
  }

  /** g, det g, √det g, R and R²√det g at n points (n × d, row-major), and the mean loss. */
  async curvature(points: ArrayLike<number>, n: number, opts: RunOptions = {}): Promise<CurvatureResult> {
    const out = await this.dispatchCurvature(points, n, opts);
    return this.readCurvature(out, n);
  }

  /** Uploads the points and computes the curvature fields on the device, without reading them back. */
  async dispatchCurvature(points: ArrayLike<number>, n: number, opts: RunOptions = {}): Promise<GPUBuffer> {
    const z = this.setPoints(points, n);
    const out = this.pool.floats("out", n * this.set.perPoint);
    if (opts.poison) poison(this.device, out);
    await this.runner.run((pass) => this.encodeCurvature(pass, z, out, n), this.timeoutMs);
    return out;
  }

  encodeCurvature(pass: GPUComputePassEncoder, z: GPUBuffer, out: GPUBuffer, n: number): void {
    if (this.tiled) {
      const tape = this.pool.floats("tape", this.tiled.mlp.kernels.plan.tape.tapeRows * Math.max(1, Math.min(n, this.chunk)));
      for (let base = 0; base < n; base += this.chunk) {
        const m = Math.min(this.chunk, n - base);
        const cfg = { n: m, base, total: n, lbar: 1 / n, detEps: this.detEpsilon };
        this.tiled.mlp.encodeForward(pass, { theta: this.theta, src: z, tape }, cfg, m);
        this.runner.dispatch(pass, this.tiled.assemble, { tape, out }, cfg, [Math.ceil(m / POINT_WORKGROUP)]);
      }
    } else
      for (let base = 0; base < n; base += MAX_POINTS_PER_DISPATCH) {
        const m = Math.min(MAX_POINTS_PER_DISPATCH, n - base);
        this.runner.dispatch(pass, this.set.curvature, { theta: this.theta, z, out }, { n: m, base, total: n, lbar: 1 / n }, [
          Math.ceil(m / POINT_WORKGROUP),
        ]);
      }
    this.encodeMeanLoss(pass, out, n);
  }

  /** Tape, adjoint tape and split partials for batches of up to `n` points (grown on demand), and the gradient. */
  private trainingBuffers(n: number): { tape: GPUBuffer; adj: GPUBuffer; grad: GPUBuffer; partial: GPUBuffer } {
    const t = this.requireTraining();
    const plan = this.requireTiled().mlp.kernels.plan;
    const m = Math.max(1, Math.min(n, this.chunk));
    return {
      tape: this.pool.floats("tape", plan.tape.tapeRows * m),
      adj: this.pool.floats("adj", plan.adjRows * m),
      grad: this.gradientBuffer(),
      partial: this.pool.floats("partial", partialFloats(this.reduce, t.plan.layers, this.set.columns, m)),
    };
  }

  /** Records forward, assembly, adjoints and weight reduction for n points, chunk by chunk. */
  encodeGradient(
    pass: GPUComputePassEncoder,
    z: GPUBuffer,
    out: GPUBuffer,
    zbar: GPUBuffer,
    n: number,
    opts: GradientEncodeOptions = {},
  ): void {
    const t = this.requireTraining();
    const tiled = this.requireTiled();
    const { tape, adj, grad, partial } = this.trainingBuffers(n);
    for (let base = 0; base < n; base += this.chunk) {
      const m = Math.min(this.chunk, n - base);
      const cfg = { n: m, base, total: n, lbar: opts.lbar ?? 1 / n, detEps: this.detEpsilon };
      tiled.mlp.encodeForward(pass, { theta: this.theta, src: z, tape }, cfg, m);
      const groups = [Math.ceil(m / POINT_WORKGROUP)] as const;
      if (opts.seed) this.runner.dispatch(pass, this.requireSeeded(), { tape, seed: opts.seed, adj }, cfg, groups);
      else this.runner.dispatch(pass, tiled.assembleTrain, { tape, out, adj }, cfg, groups);
      tiled.mlp.encodeBackward(pass, { theta: this.theta, tape, adj, src: z, zbar }, cfg, m);
      const reduction = { mode: this.reduce, reduce: this.reduceKernel(), finalize: t.gradFinalize };
      encodeWeightReductions(
        this.runner,
        pass,
        reduction,
        t.plan.layers,
        { tape, adj, partial, grad },
        m,
        this.set.columns,
        base > 0 || !!opts.accumulate,
      );
    }
    if (!opts.seed) this.encodeMeanLoss(pass, out, n);
  }

  private requireSeeded(): WgslKernel {
    const k = this.requireTiled().assembleSeeded;
    if (!k) throw new Error("the seeded assembly needs WebGpuDecoder.create(…, { seeded: true })");
    return k;
  }

  /** The curvature fields, mean loss, ∂L/∂θ and ∂L/∂z of L = mean R²√det g at n points. */
  async gradient(points: ArrayLike<number>, n: number, opts: RunOptions = {}): Promise<GradientResult> {
    await this.prepareTraining();
    const z = this.setPoints(points, n);
    const out = this.pool.floats("out", n * this.set.perPoint);
    const zbar = this.pool.floats("zbar", n * this.set.latentDim);
    const { tape, adj, grad } = this.trainingBuffers(n);
    if (opts.poison) for (const b of [out, zbar, tape, adj, grad]) poison(this.device, b);
    await this.runner.run((pass) => this.encodeGradient(pass, z, out, zbar, n), this.timeoutMs);
    const [curv, g, zb] = await Promise.all([
      this.readCurvature(out, n),
      this.read(grad, this.set.paramCount * 4),
      this.read(zbar, n * this.set.latentDim * 4),
    ]);
    return { ...curv, grad: new Float32Array(g), zbar: new Float32Array(zb) };
  }

  private encodeAdam(pass: GPUComputePassEncoder, hyper: AdamHyper): void {
    const t = this.requireTraining();
    const grad = this.grad;
    if (!grad) throw new Error("Adam needs a gradient: call gradient() or trainStep() first");
    const P = this.set.paramCount;
    this.moments ??= [
      createStorageBuffer(this.device, P * 4, { label: "adam.m" }),
      createStorageBuffer(this.device, P * 4, { label: "adam.v" }),
    ];
    this.adamStepCount++;
    const groups = Math.ceil(P / ADAM_WORKGROUP);
    const x = Math.min(groups, 65535);
    this.runner.dispatch(
      pass,
      t.adam,
      { theta: this.theta, grad, m: this.moments[0], v: this.moments[1] },
      adamUniform(hyper, P, this.adamStepCount),
      [x, Math.ceil(groups / x)],
    );
  }

  /** Adam on the gradient left by the last {@link gradient} or {@link trainStep}. */
  async adamStep(hyper: Partial<AdamHyper> = {}): Promise<void> {
    await this.prepareTraining();
    await this.runner.run((pass) => this.encodeAdam(pass, { ...ADAM_DEFAULTS, ...hyper }), this.timeoutMs);
  }

  /**
   * One training step on the curvature loss alone: forward, backward and Adam in one submission.
   * Returns the loss before the update (read back only if `readLoss`, which waits for the GPU).
   */
  async trainStep(points: ArrayLike<number>, n: number, hyper: Partial<AdamHyper> = {}, readLoss = true): Promise<number | null> {
    await this.prepareTraining();
    const z = this.setPoints(points, n);
    const out = this.pool.floats("out", n * this.set.perPoint);
    const zbar = this.pool.floats("zbar", n * this.set.latentDim);
    await this.runner.run((pass) => {
      this.encodeGradient(pass, z, out, zbar, n);
      this.encodeAdam(pass, { ...ADAM_DEFAULTS, ...hyper });
    }, this.timeoutMs);
    return readLoss ? new Float32Array(await this.read(this.scalars, 4))[0]! : null;
  }

  destroy(): void {
    for (const b of [this.theta, this.scalars, this.grad, ...(this.moments ?? [])]) b?.destroy();
    this.pool.destroy();
  }
}
