/**
 * Running emitted WGSL kernels: a pipeline cache keyed by the kernel's text (its hash names it in
 * logs), explicit bind-group layouts from the kernel's binding list, uniform buffers cached by
 * content, dispatch, and completion that fails with a clear message instead of hanging when the
 * device is lost or a queue stops answering.
 *
 * Works with any `GPUDevice` (Dawn in Node, `navigator.gpu` in a browser): nothing here imports Node.
 */
import { type WgslKernel, packUniform, type UniformValues } from "../../emit/facade.js";
import type { GpuContext } from "./device.js";

/** FNV-1a (64-bit) of the kernel text, as 16 hex digits: the pipeline cache's key. */
export function kernelKey(code: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < code.length; i++) {
    h ^= BigInt(code.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, "0");
}

interface Compiled {
  key: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const LOST_HINT =
  "The WebGPU device was lost: on a GPU this usually means a driver reset (a kernel ran too long or " +
  "memory ran out): retry with a smaller batch (--batch) or chunk; on lavapipe, check free memory. " +
  "Use --backend cpu to continue without WebGPU.";

export class WebGpuError extends Error {
  override name = "WebGpuError";
}

const runners = new WeakMap<GpuContext, KernelRunner>();

/** Pipelines, uniforms and bind groups for one device. */
export class KernelRunner {
  /** The runner shared by everything on `ctx` (so that pipelines are compiled once per device). */
  static for(ctx: GpuContext): KernelRunner {
    let r = runners.get(ctx);
    if (!r || r.ctx.lost) {
      r = new KernelRunner(ctx);
      runners.set(ctx, r);
    }
    return r;
  }

  readonly ctx: GpuContext;
  private readonly pipelines = new Map<string, Compiled>();
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** Pipelines compiled (cache misses), for tests and reports. */
  compiled = 0;
  /** Rejects once the device is lost (handled, so that a deliberate destroy raises nothing). */
  private readonly lost: Promise<never>;

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
    this.lost = ctx.device.lost.then((info) => {
      throw new WebGpuError(`${LOST_HINT} (reason: ${info.reason}; ${info.message || "no message"})`);
    });
    this.lost.catch(() => undefined);
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  /** Throws the lost-device message (with what to do about it) if the device is gone. */
  assertAlive(): void {
    const lost = this.ctx.lost;
    if (lost) throw new WebGpuError(`${LOST_HINT} (reason: ${lost.reason}; ${lost.message || "no message"})`);
  }

  /** Compiles (once per kernel text) and caches the pipeline; shader errors throw with the kernel's name. */
  async prepare(kernel: WgslKernel): Promise<void> {
    if (this.pipelines.has(kernel.code)) return;
    this.assertAlive();
    const device = this.device;
    const key = kernelKey(kernel.code);
    const label = `${kernel.name}#${key.slice(0, 8)}`;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ code: kernel.code, label });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === "error");
    if (errors.length) {
      await device.popErrorScope();
      const lines = kernel.code.split("\n");
      const detail = errors
        .slice(0, 5)
        .map((m) => `  line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ""}`)
        .join("\n");
      throw new WebGpuError(`WGSL kernel ${kernel.name} does not compile (a compiler bug; please report it):\n${detail}`);
    }
    const layout = device.createBindGroupLayout({
      label,
      entries: kernel.bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind },
      })),
    });
    const pipeline = await device.createComputePipelineAsync({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label }),
      compute: { module, entryPoint: kernel.entryPoint },
    });
    const err = await device.popErrorScope();
    if (err) throw new WebGpuError(`WGSL kernel ${kernel.name}: pipeline creation failed: ${err.message}`);
    this.pipelines.set(kernel.code, { key, pipeline, layout });
    this.compiled++;
  }

  private compiledFor(kernel: WgslKernel): Compiled {
    const c = this.pipelines.get(kernel.code);
    if (!c) throw new Error(`kernel ${kernel.name} was not prepared`);
    return c;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(b, id);
    }
    return id;
  }

  /** A uniform buffer holding `values`, shared by every dispatch with the same bytes (never rewritten). */
  uniform(kernel: WgslKernel, values: UniformValues): GPUBuffer {
    const bytes = new Uint8Array(packUniform(kernel.uniform, values));
    const key = `${kernel.uniform.fields.map((f) => f.name).join(",")}|${bytes.join(",")}`;
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      if (this.uniforms.size > 4096) this.clearUniforms();
      buffer = this.device.createBuffer({
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        label: `${kernel.name}.cfg`,
      });
      this.device.queue.writeBuffer(buffer, 0, bytes);
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  private clearUniforms(): void {
    // Buffers may still be referenced by submitted work: WebGPU keeps them alive until it completes.
    for (const b of this.uniforms.values()) b.destroy();
    this.uniforms.clear();
    this.bindGroups.clear();
  }

  /**
   * Records one dispatch into `pass`. `buffers` maps each storage binding's name to a buffer;
   * the uniform binding gets `values`.
   */
  dispatch(
    pass: GPUComputePassEncoder,
    kernel: WgslKernel,
    buffers: Readonly<Record<string, GPUBuffer>>,
    values: UniformValues,
    workgroups: readonly [number, number?, number?],
  ): void {
    const c = this.compiledFor(kernel);
    const resources = kernel.bindings.map((b) => {
      const buffer = b.kind === "uniform" ? this.uniform(kernel, values) : buffers[b.name];
      if (!buffer) throw new Error(`kernel ${kernel.name}: no buffer for binding '${b.name}'`);
      return buffer;
    });
    const key = `${c.key}|${resources.map((r) => this.bufferId(r)).join(",")}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size > 4096) this.bindGroups.clear();
      group = this.device.createBindGroup({
        layout: c.layout,
        entries: resources.map((buffer, i) => ({ binding: kernel.bindings[i]!.binding, resource: { buffer } })),
      });
      this.bindGroups.set(key, group);
    }
    const [x, y = 1, z = 1] = workgroups;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max)
      throw new RangeError(`kernel ${kernel.name}: ${x}×${y}×${z} workgroups exceed the device's ${max} per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
  }

  /**
   * Encodes work with `record(pass)` in one compute pass, submits it and waits for completion.
   * Validation errors, a lost device or no answer within `timeoutMs` throw a WebGpuError.
   */
  async run(record: (pass: GPUComputePassEncoder, encoder: GPUCommandEncoder) => void, timeoutMs = 600_000): Promise<void> {
    this.assertAlive();
    const device = this.device;
    device.pushErrorScope("validation");
    device.pushErrorScope("out-of-memory");
    let failure: unknown = null;
    try {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      try {
        record(pass, encoder);
      } finally {
        pass.end();
      }
      device.queue.submit([encoder.finish()]);
    } catch (e) {
      failure = e;
    }
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    if (failure) throw failure;
    if (oom) throw new WebGpuError(`WebGPU out of memory: ${oom.message}. Use a smaller batch or chunk.`);
    if (invalid) throw new WebGpuError(`WebGPU validation error: ${invalid.message}`);
    await this.settle(device.queue.onSubmittedWorkDone(), timeoutMs, "the GPU queue");
  }

  /** Waits for `p`, failing clearly if the device is lost or nothing answers within `timeoutMs`. */
  async settle<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WebGpuError(`${what} did not finish within ${timeoutMs / 1000} s. ${LOST_HINT}`)), timeoutMs);
      (timer as { unref?: () => void }).unref?.();
    });
    try {
      return await Promise.race([p, this.lost, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.clearUniforms();
    this.pipelines.clear();
  }
}
