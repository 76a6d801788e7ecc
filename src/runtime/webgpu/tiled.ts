/**
 * Dispatching the tiled MLP kernels of a tile plan (emit/wgsl-tiled.ts): the input jet, one
 * forward product per layer, and the adjoint products from the last layer down (then z̄). The
 * per-point kernels around them (curvature assembly, reconstruction error, encoder output) and
 * the weight reductions are dispatched by their owners (decoder.ts, autoencoder.ts).
 */
import { tileConfig, type TileConfig, type TiledKernels, type UniformValues, type WgslKernel } from "../../emit/facade.js";
import type { KernelRunner } from "./kernels.js";

/** The tile configuration for a device's limits. */
export const deviceTileConfig = (device: GPUDevice): TileConfig => tileConfig(device.limits);

export class TiledMlp {
  constructor(
    readonly kernels: TiledKernels,
    readonly runner: KernelRunner,
  ) {}

  /** Every kernel of the set, for compilation up front. */
  get all(): WgslKernel[] {
    const k = this.kernels;
    return [k.input, ...k.forward, ...k.adjoint.filter((x): x is WgslKernel => x !== null), ...(k.inputAdjoint ? [k.inputAdjoint] : [])];
  }

  async prepare(): Promise<void> {
    for (const k of this.all) await this.runner.prepare(k);
  }

  private pointGroups(n: number): [number] {
    return [Math.ceil(n / this.kernels.plan.lanes)];
  }

  /** Input jet and every forward product: the tape holds X_l, A_l and psi afterwards. */
  encodeForward(
    pass: GPUComputePassEncoder,
    b: { theta: GPUBuffer; src: GPUBuffer; tape: GPUBuffer },
    pointValues: UniformValues,
    n: number,
  ): void {
    const { plan, input, forward } = this.kernels;
    this.runner.dispatch(pass, input, { src: b.src, tape: b.tape }, pointValues, this.pointGroups(n));
    plan.layers.forEach((l, li) => {
      this.runner.dispatch(pass, forward[li]!, { theta: b.theta, tape: b.tape }, { n }, [
        Math.ceil(n / plan.lanes),
        Math.ceil(l.units / plan.unitTile),
      ]);
    });
  }

  /**
   * Adjoint products from the last layer down, once Ā of the output layer is in adj; then z̄ when
   * the set has the input adjoint.
   */
  encodeBackward(
    pass: GPUComputePassEncoder,
    b: { theta: GPUBuffer; tape: GPUBuffer; adj: GPUBuffer; src?: GPUBuffer; zbar?: GPUBuffer },
    pointValues: UniformValues,
    n: number,
  ): void {
    const { plan, adjoint, inputAdjoint } = this.kernels;
    for (let li = plan.layers.length - 1; li >= 0; li--) {
      const k = adjoint[li];
      if (!k) continue;
      const l = plan.layers[li]!;
      this.runner.dispatch(pass, k, { theta: b.theta, tape: b.tape, adj: b.adj }, { n }, [
        Math.ceil(n / plan.lanes),
        Math.ceil(l.fanIn / plan.unitTile),
      ]);
    }
    if (inputAdjoint) {
      if (!b.src || !b.zbar) throw new Error(`${plan.prefix}: the input adjoint needs src and zbar`);
      this.runner.dispatch(pass, inputAdjoint, { src: b.src, adj: b.adj, zbar: b.zbar }, pointValues, this.pointGroups(n));
    }
  }
}
