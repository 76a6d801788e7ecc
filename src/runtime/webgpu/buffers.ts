/**
 * GPU buffers on a device: storage and uniform buffers, read-back, and NaN poisoning of outputs for
 * tests. The layout rules (alignment, uniform struct layout and packing) are in
 * src/emit/wgsl-layout.ts, shared with the emitters.
 */
import { align4, packUniform, type UniformLayout, type UniformValues } from "../../emit/facade.js";

/** Bit pattern of the quiet NaN written by {@link poison}. */
export const NAN_BITS = 0x7fc00000;

export type GpuArray = Float32Array | Uint32Array | Int32Array;

export interface StorageOptions {
  label?: string;
  /** Extra usage flags (STORAGE | COPY_SRC | COPY_DST are always set). */
  usage?: GPUBufferUsageFlags;
}

function checkSize(device: GPUDevice, bytes: number, limit: "maxBufferSize" | "maxStorageBufferBindingSize"): void {
  if (bytes > device.limits[limit]) {
    throw new RangeError(`buffer of ${bytes} bytes exceeds the device's ${limit} (${device.limits[limit]})`);
  }
}

/** A storage buffer holding `data`, or a zeroed one of `byteLength` bytes (rounded up to 4). */
export function createStorageBuffer(device: GPUDevice, data: GpuArray | number, opts: StorageOptions = {}): GPUBuffer {
  const bytes = typeof data === "number" ? data : data.byteLength;
  const size = align4(Math.max(bytes, 4));
  checkSize(device, size, "maxStorageBufferBindingSize");
  const buffer = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | (opts.usage ?? 0),
    mappedAtCreation: typeof data !== "number",
    ...(opts.label !== undefined && { label: opts.label }),
  });
  if (typeof data !== "number") {
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
  }
  return buffer;
}

/** Fills `buffer` (which needs COPY_DST) with NaN, so a test can check every element was written. */
export function poison(device: GPUDevice, buffer: GPUBuffer): void {
  const chunk = new Uint32Array(Math.min(buffer.size, 1 << 24) / 4).fill(NAN_BITS);
  for (let off = 0; off < buffer.size; off += chunk.byteLength) {
    device.queue.writeBuffer(buffer, off, chunk, 0, Math.min(chunk.length, (buffer.size - off) / 4));
  }
}

/** Copies `byteLength` bytes of `src` (which needs COPY_SRC) from `offset` into host memory. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength = src.size, offset = 0): Promise<ArrayBuffer> {
  if (offset % 4 || byteLength % 4) throw new RangeError(`read of ${byteLength} bytes at ${offset}: not 4-byte aligned`);
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, offset, staging, 0, byteLength);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}

export async function readF32(device: GPUDevice, src: GPUBuffer, length = src.size / 4): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, src, length * 4));
}

export function createUniformBuffer(device: GPUDevice, layout: UniformLayout, values: UniformValues, label?: string): GPUBuffer {
  const buffer = device.createBuffer({
    size: layout.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    ...(label !== undefined && { label }),
  });
  writeUniform(device, buffer, layout, values);
  return buffer;
}

export function writeUniform(device: GPUDevice, buffer: GPUBuffer, layout: UniformLayout, values: UniformValues): void {
  device.queue.writeBuffer(buffer, 0, packUniform(layout, values));
}

/** Storage buffers kept by name and grown on demand (never shrunk), for per-batch scratch space. */
export class BufferPool {
  private readonly buffers = new Map<string, GPUBuffer>();

  constructor(
    private readonly device: GPUDevice,
    /** Prepended to every buffer's label. */
    private readonly prefix = "",
  ) {}

  /** A storage buffer of at least `count` 32-bit elements (at least one). */
  floats(name: string, count: number): GPUBuffer {
    const bytes = Math.max(count, 1) * 4;
    const have = this.buffers.get(name);
    if (have && have.size >= bytes) return have;
    have?.destroy();
    const buffer = createStorageBuffer(this.device, bytes, { label: this.prefix + name });
    this.buffers.set(name, buffer);
    return buffer;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}
