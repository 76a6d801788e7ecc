/**
 * The safetensors format (Hugging Face), written and read to its specification:
 *
 *   8 bytes   N, unsigned little-endian 64-bit: the header's length
 *   N bytes   UTF-8 JSON object, starting with '{', padded with spaces (0x20) so that the data
 *             starts at a multiple of 8 bytes: { name: { "dtype", "shape", "data_offsets": [begin,
 *             end] }, …, "__metadata__": { string: string } }
 *   rest      the byte buffer: every tensor little-endian, C order, at its data_offsets (relative to
 *             the buffer's start), contiguous, with no gaps or overlaps, covering the whole buffer.
 *
 * Tensors are laid out in order of decreasing alignment, then by name, as the reference writer does.
 * The reader checks every rule above, so a file that passes it loads in the reference library.
 */

export type SafeDtype = "F64" | "F32" | "I32" | "U8";
export type SafeArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: SafeArray;
}

const SIZES: Record<SafeDtype, number> = { F64: 8, F32: 4, I32: 4, U8: 1 };

function dtypeOf(a: SafeArray): SafeDtype {
  if (a instanceof Float64Array) return "F64";
  if (a instanceof Float32Array) return "F32";
  if (a instanceof Int32Array) return "I32";
  return "U8";
}

/** The .safetensors bytes of `tensors` (name → values and shape) with string `metadata`. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, { data: SafeArray; shape: readonly number[] }>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort((a, b) => {
    const sa = SIZES[dtypeOf(tensors.get(a)!.data)];
    const sb = SIZES[dtypeOf(tensors.get(b)!.data)];
    return sb - sa || (a < b ? -1 : a > b ? 1 : 0);
  });
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header["__metadata__"] = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__") throw new RangeError("safetensors: a tensor may not be called __metadata__");
    const { data, shape } = tensors.get(name)!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new RangeError(`safetensors: ${name} has ${data.length} values for shape [${shape.join(", ")}]`);
    header[name] = { dtype: dtypeOf(data), shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** Why a file is not valid safetensors. */
export class SafetensorsError extends Error {}

function fail(message: string): never {
  throw new SafetensorsError(message);
}

function checkEntry(name: string, entry: unknown, bufferLength: number): { dtype: SafeDtype; shape: number[]; begin: number; end: number } {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== "object" || e === null) fail(`${name}: entry is not an object`);
  const keys = Object.keys(e).sort().join(",");
  if (keys !== "data_offsets,dtype,shape") fail(`${name}: entry has keys ${keys}, expected dtype, shape, data_offsets`);
  if (typeof e.dtype !== "string" || !(e.dtype in SIZES)) fail(`${name}: dtype ${JSON.stringify(e.dtype)} is not one this reader knows`);
  const dtype = e.dtype as SafeDtype;
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) fail(`${name}: bad shape ${JSON.stringify(shape)}`);
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((s) => Number.isSafeInteger(s))) fail(`${name}: bad data_offsets`);
  const [begin, end] = off as [number, number];
  if (!(begin >= 0 && end >= begin && end <= bufferLength))
    fail(`${name}: data_offsets [${begin}, ${end}] outside the ${bufferLength}-byte buffer`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== count * SIZES[dtype]) fail(`${name}: ${end - begin} bytes for shape [${shape.join(", ")}] of ${dtype}`);
  return { dtype, shape: shape as number[], begin, end };
}

function view(dtype: SafeDtype, bytes: Uint8Array): SafeArray {
  // Copy into a fresh buffer: the offsets need not be aligned for a typed-array view (and a Node
  // Buffer's slice() is a view, not a copy).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (dtype === "F64") return new Float64Array(copy.buffer);
  if (dtype === "F32") return new Float32Array(copy.buffer);
  if (dtype === "I32") return new Int32Array(copy.buffer);
  return copy;
}

/** Reads .safetensors bytes, checking the header layout and the buffer's coverage. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) fail("shorter than the 8-byte header length");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`header length ${n} exceeds the file`);
  const headerBytes = bytes.subarray(8, 8 + Number(n));
  const text = Buffer.from(headerBytes).toString("utf8");
  if (!text.startsWith("{")) fail("header does not start with '{'");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    fail(`header is not JSON: ${(e as Error).message}`);
  }
  const buffer = bytes.subarray(8 + Number(n));
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push({ name, ...checkEntry(name, entry, buffer.length) });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.begin !== covered) fail(`${e.name}: starts at byte ${e.begin}, expected ${covered} (gap or overlap)`);
    covered = e.end;
  }
  if (covered !== buffer.length) fail(`the tensors cover ${covered} of ${buffer.length} buffer bytes`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: view(e.dtype, buffer.subarray(e.begin, e.end)) });
  return { tensors, metadata };
}
