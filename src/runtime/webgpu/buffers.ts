/**
 * GPU buffer layout rules, in one place: sizes and alignment as WGSL and WebGPU require them,
 * storage and uniform buffers, read-back, and NaN poisoning of outputs for tests.
 *
 * Uniform structs follow WGSL's host-shareable layout: a scalar (f32/u32/i32) aligns to 4 bytes,
 * vec2 to 8, vec3 and vec4 to 16 (vec3 occupies 12 bytes, so a scalar may follow it in the same
 * 16); the struct's size rounds up to its alignment and the buffer to 16 bytes (std140-like).
 */

/** Bit pattern of the quiet NaN written by {@link poison}. */
export const NAN_BITS = 0x7fc00000;

export const alignTo = (n: number, a: number): number => Math.ceil(n / a) * a;
/** Buffer sizes, copy sizes and offsets must be multiples of 4 bytes. */
export const align4 = (n: number): number => alignTo(n, 4);
/** Uniform buffer sizes and WGSL struct alignment in the uniform address space. */
export const align16 = (n: number): number => alignTo(n, 16);

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
export async function readBuffer(
  device: GPUDevice,
  src: GPUBuffer,
  byteLength = src.size,
  offset = 0,
): Promise<ArrayBuffer> {
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

// ---- uniform structs ----------------------------------------------------------------------

export type UniformScalar = "f32" | "u32" | "i32";
export type UniformType = UniformScalar | `vec${2 | 3 | 4}<${UniformScalar}>`;

export interface UniformField {
  name: string;
  type: UniformType;
  scalar: UniformScalar;
  /** Number of components (1 for a scalar). */
  count: number;
  offset: number;
}

export interface UniformLayout {
  fields: readonly UniformField[];
  /** WGSL's SizeOf the struct. */
  size: number;
  /** Bytes to allocate for the uniform buffer (size rounded up to 16). */
  byteLength: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The WGSL layout of a struct with the given fields, in order. */
export function uniformLayout(fields: Readonly<Record<string, UniformType>>): UniformLayout {
  let offset = 0;
  let structAlign = 4;
  const out: UniformField[] = [];
  for (const [name, type] of Object.entries(fields)) {
    if (!IDENT.test(name)) throw new Error(`uniform field name '${name}' is not a WGSL identifier`);
    const m = /^(?:vec([234])<(f32|u32|i32)>|(f32|u32|i32))$/.exec(type);
    if (!m) throw new Error(`uniform field '${name}': unsupported type '${type}'`);
    const count = m[1] ? Number(m[1]) : 1;
    const scalar = (m[2] ?? m[3]) as UniformScalar;
    const align = count === 1 ? 4 : count === 2 ? 8 : 16;
    offset = alignTo(offset, align);
    out.push({ name, type, scalar, count, offset });
    offset += 4 * count;
    structAlign = Math.max(structAlign, align);
  }
  const size = alignTo(Math.max(offset, 4), structAlign);
  return { fields: out, size, byteLength: align16(size) };
}

/** The WGSL declaration matching `layout`, e.g. `struct Params { n: u32, a: f32, }`. */
export function wgslStruct(layout: UniformLayout, name: string): string {
  return `struct ${name} {\n${layout.fields.map((f) => `  ${f.name}: ${f.type},\n`).join("")}}`;
}

export type UniformValues = Readonly<Record<string, number | readonly number[]>>;

/** Packs `values` (every field, nothing else) into the bytes of a uniform buffer. */
export function packUniform(layout: UniformLayout, values: UniformValues): ArrayBuffer {
  const bytes = new ArrayBuffer(layout.byteLength);
  const view = new DataView(bytes);
  const known = new Set(layout.fields.map((f) => f.name));
  for (const k of Object.keys(values)) if (!known.has(k)) throw new Error(`uniform has no field '${k}'`);
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new Error(`uniform field '${f.name}' has no value`);
    const comps = typeof v === "number" ? [v] : v;
    if (comps.length !== f.count) throw new Error(`uniform field '${f.name}: ${f.type}' needs ${f.count} values`);
    comps.forEach((x, i) => {
      const at = f.offset + 4 * i;
      if (f.scalar === "f32") return view.setFloat32(at, x, true);
      const [lo, hi] = f.scalar === "u32" ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
      if (!Number.isInteger(x) || x < lo || x > hi) throw new RangeError(`uniform field '${f.name}': ${x} is not a ${f.scalar}`);
      if (f.scalar === "u32") view.setUint32(at, x, true);
      else view.setInt32(at, x, true);
    });
  }
  return bytes;
}

export function createUniformBuffer(
  device: GPUDevice,
  layout: UniformLayout,
  values: UniformValues,
  label?: string,
): GPUBuffer {
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
