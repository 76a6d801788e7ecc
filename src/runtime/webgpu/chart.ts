/**
 * The chart-fixing terms' share of a webgpu step (emit/wgsl-chart.ts): the decoder's order-1 jets at
 * the regulariser points z̃ through the tiled products, G = JᵀJ read back for the host, then, with
 * A = ∂L/∂G from the host (runtime/train/chart-terms.ts), the output layer's adjoint, the adjoint
 * products and the weight reductions added to the decoder's gradient. z̃ carries no gradient into
 * the encoder (as in the tfjs and onnx engines).
 */
import {
  chartMetricKernel,
  chartSeedKernel,
  decoderProgram,
  layerGradPlans,
  tiledKernels,
  tiledPlan,
  type LayerGradPlan,
  type TileConfig,
  type WgslKernel,
} from "../../emit/facade.js";
import type { Model } from "../../model/types.js";
import { createStorageBuffer } from "./buffers.js";
import { reductionGrid, reductionSplits, type ReduceMode } from "./decoder.js";
import type { KernelRunner } from "./kernels.js";
import { TiledMlp } from "./tiled.js";

/** The weight-reduction kernels the owner uses (one jet-column-generic reduction, and its finalize). */
export interface ChartReduction {
  mode: ReduceMode;
  reduce: WgslKernel;
  finalize: WgslKernel;
}

export class DeviceChartTerms {
  readonly mlp: TiledMlp;
  private readonly metric: WgslKernel;
  private readonly seed: WgslKernel;
  private readonly layers: LayerGradPlan[];
  private readonly grown = new Map<string, { buffer: GPUBuffer; bytes: number }>();

  constructor(
    readonly model: Model,
    readonly runner: KernelRunner,
    tiles: TileConfig,
  ) {
    const program = decoderProgram(model, 1);
    const plan = tiledPlan("curvature", "chart", program, tiles);
    this.mlp = new TiledMlp(tiledKernels(plan, false), runner);
    this.metric = chartMetricKernel(plan);
    this.seed = chartSeedKernel(plan);
    this.layers = layerGradPlans(program, plan.tape);
  }

  async prepare(): Promise<void> {
    await this.mlp.prepare();
    for (const k of [this.metric, this.seed]) await this.runner.prepare(k);
  }

  private buffer(name: string, floats: number): GPUBuffer {
    const bytes = Math.max(floats, 1) * 4;
    const have = this.grown.get(name);
    if (have && have.bytes >= bytes) return have.buffer;
    have?.buffer.destroy();
    const buffer = createStorageBuffer(this.runner.device, bytes, { label: `chart.${name}` });
    this.grown.set(name, { buffer, bytes });
    return buffer;
  }

  private buffers(n: number) {
    const plan = this.mlp.kernels.plan;
    const d = this.model.latentDim;
    return {
      zt: this.buffer("zt", n * d),
      tape: this.buffer("tape", plan.tape.tapeRows * n),
      adj: this.buffer("adj", plan.adjRows * n),
      gout: this.buffer("gout", n * d * d),
      gbar: this.buffer("gbar", n * d * d),
    };
  }

  private pointValues = (n: number) => ({ n, base: 0, total: n, lbar: 0, detEps: 0 });

  /** Uploads z̃ (n × d) and records the jets at z̃ and G into the metric buffer. */
  encodeMetric(pass: GPUComputePassEncoder, theta: GPUBuffer, zt: Float32Array, n: number): GPUBuffer {
    const b = this.buffers(n);
    this.runner.device.queue.writeBuffer(b.zt, 0, zt, 0, n * this.model.latentDim);
    this.mlp.encodeForward(pass, { theta, src: b.zt, tape: b.tape }, this.pointValues(n), n);
    this.runner.dispatch(pass, this.metric, { tape: b.tape, gout: b.gout }, this.pointValues(n), [
      Math.ceil(n / this.mlp.kernels.plan.lanes),
    ]);
    return b.gout;
  }

  /** Uploads A = ∂L/∂G (n × d × d) for the next encodeGradient. */
  setAdjoint(gbar: Float32Array, n: number): void {
    this.runner.device.queue.writeBuffer(this.buffers(n).gbar, 0, gbar, 0, n * this.model.latentDim ** 2);
  }

  /** Records Ā of the output layer, the adjoint products and the weight reductions, added to `grad`. */
  encodeGradient(pass: GPUComputePassEncoder, theta: GPUBuffer, grad: GPUBuffer, n: number, r: ChartReduction): void {
    const b = this.buffers(n);
    const plan = this.mlp.kernels.plan;
    this.runner.dispatch(pass, this.seed, { tape: b.tape, gbar: b.gbar, adj: b.adj }, this.pointValues(n), [Math.ceil(n / plan.lanes)]);
    this.mlp.encodeBackward(pass, { theta, tape: b.tape, adj: b.adj }, this.pointValues(n), n);
    const cols = plan.columns;
    const splits = this.layers.map((l) => reductionSplits(r.mode, l, cols, n));
    const partial = this.buffer("partial", Math.max(...this.layers.map((l, i) => splits[i]!.splits * l.units * (l.fanIn + 1))));
    this.layers.forEach((l, li) => {
      const { splits: s, kChunk } = splits[li]!;
      this.runner.dispatch(
        pass,
        r.reduce,
        { adj: b.adj, tape: b.tape, partial },
        { n, cols, units: l.units, fanIn: l.fanIn, aRow: l.aRow, xRow: l.xRow, chunk: kChunk },
        reductionGrid(r.mode, l, s),
      );
      this.runner.dispatch(
        pass,
        r.finalize,
        { partial, grad },
        { units: l.units, fanIn: l.fanIn, wOffset: l.wOffset, bOffset: l.bOffset, splits: s, accumulate: 1 },
        [Math.ceil((l.units * (l.fanIn + 1)) / 64)],
      );
    });
  }

  destroy(): void {
    for (const g of this.grown.values()) g.buffer.destroy();
    this.grown.clear();
  }
}
