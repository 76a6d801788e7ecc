/**
 * GPU buffer layout rules, in one place: sizes and alignment as WGSL and WebGPU require them, and
 * the layout of uniform structs — used by the WGSL emitters to declare structs and by the WebGPU
 * runtime (src/runtime/webgpu/buffers.ts) to pack their bytes. Pure: no GPU needed.
 *
 * Uniform structs follow WGSL's host-shareable layout: a scalar (f32/u32/i32) aligns to 4 bytes,
 * vec2 to 8, vec3 and vec4 to 16 (vec3 occupies 12 bytes, so a scalar may follow it in the same
 * 16); the struct's size rounds up to its alignment and the buffer to 16 bytes (std140-like).
 */

export const alignTo = (n: number, a: number): number => Math.ceil(n / a) * a;
/** Buffer sizes, copy sizes and offsets must be multiples of 4 bytes. */
export const align4 = (n: number): number => alignTo(n, 4);
/** Uniform buffer sizes and WGSL struct alignment in the uniform address space. */
export const align16 = (n: number): number => alignTo(n, 16);

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
