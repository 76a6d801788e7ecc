/**
 * NumPy .npy and .npz files, read and written to the format specification
 * (numpy.lib.format, versions 1.0, 2.0 and 3.0).
 *
 * Reading covers every numeric dtype: bool (`|b1`), signed and unsigned integers of 1, 2, 4 and 8
 * bytes, float16/32/64, in little- or big-endian byte order, and C or Fortran order (Fortran arrays
 * are transposed to C order). Values come back as float64 (int64 beyond 2^53 rounds). Complex,
 * string, object and structured dtypes are refused with a message naming the dtype.
 *
 * A .npz archive (np.savez, stored, or np.savez_compressed, deflated; unzipped with fflate) holds
 * one .npy per array. `path.npz` names its only array, or the one called "x" or "data";
 * `path.npz#name` names the array `name`. As a label file, `path.npz` means the array "labels" or "y".
 *
 * As a dataset, a 1-D array is n × 1 and more than two dimensions are flattened to
 * n × (product of the rest).
 */
import { basename } from "node:path";
import { unzipSync } from "fflate";
import { UserError } from "../../util/errors.js";
import { checkFinite, type Dataset } from "./dataset.js";
import { readBytes } from "./files.js";

export interface NpyArray {
  /** The descr as written in the file, e.g. "<f4", ">i2", "|b1". */
  dtype: string;
  /** Shape as in the file (C order of `data`). */
  shape: number[];
  /** Values in C (row-major) order, whatever the file's order. */
  data: Float64Array;
  /** Whether the file stored the array in Fortran (column-major) order. */
  fortranOrder: boolean;
}

const MAGIC = "\x93NUMPY";

type Getter = (v: DataView, offset: number, little: boolean) => number;

/** Decodes an IEEE 754 half-precision value (float16 has no DataView getter in Node 20). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Element getters by kind and size (the byte order is passed per call). */
const GETTERS: Record<string, Getter> = {
  b1: (v, o) => (v.getUint8(o) !== 0 ? 1 : 0),
  i1: (v, o) => v.getInt8(o),
  u1: (v, o) => v.getUint8(o),
  i2: (v, o, le) => v.getInt16(o, le),
  u2: (v, o, le) => v.getUint16(o, le),
  i4: (v, o, le) => v.getInt32(o, le),
  u4: (v, o, le) => v.getUint32(o, le),
  i8: (v, o, le) => Number(v.getBigInt64(o, le)),
  u8: (v, o, le) => Number(v.getBigUint64(o, le)),
  f2: (v, o, le) => halfToFloat(v.getUint16(o, le)),
  f4: (v, o, le) => v.getFloat32(o, le),
  f8: (v, o, le) => v.getFloat64(o, le),
};

const SUPPORTED = "bool (b1), int8/16/32/64 (i1 i2 i4 i8), uint8/16/32/64 (u1 u2 u4 u8), float16/32/64 (f2 f4 f8), either byte order";

interface Dtype {
  get: Getter;
  size: number;
  little: boolean;
}

function parseDtype(descr: string, where: string): Dtype {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  let kind = m?.[2] ?? "";
  let size = m?.[3] ? Number(m[3]) : NaN;
  if (kind === "?") [kind, size] = ["b", 1];
  const get = GETTERS[`${kind}${size}`];
  if (!m || !get) {
    const hint = kind === "c" ? " (complex values are not data points: save the real and imaginary parts as columns)" : "";
    throw new UserError(where, `unsupported dtype '${descr}'${hint}; supported: ${SUPPORTED}`);
  }
  // '=' is the writer's native order; every platform numpy and Node share is little-endian.
  return { get, size, little: m[1] !== ">" };
}

/** The header dict's fields (a Python literal: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }). */
function parseHeader(header: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  const descrList = /['"]descr['"]\s*:\s*\[/.test(header);
  if (descrList) throw new UserError(where, "structured (record) arrays are not supported: save a plain numeric array");
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(where, `malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim().replace(/L$/, ""))
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new UserError(where, `bad shape (${shapeText})`);
  return { descr, fortran: fortran === "True", shape };
}

/** Column-major strides of `shape` (in elements). */
function fortranStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let stride = 1;
  for (const s of shape) {
    strides.push(stride);
    stride *= s;
  }
  return strides;
}

/** Index of C-order element `c` in a Fortran-order buffer of `shape`. */
function fortranIndex(c: number, shape: readonly number[], strides: readonly number[]): number {
  let rest = c;
  let index = 0;
  for (let a = shape.length - 1; a >= 0; a--) {
    const s = shape[a]!;
    index += (rest % s) * strides[a]!;
    rest = Math.floor(rest / s);
  }
  return index;
}

/** Parses the bytes of one .npy file; `where` names it in errors. */
export function parseNpy(buf: Uint8Array, where: string): NpyArray {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 10 || bytes.toString("latin1", 0, 6) !== MAGIC) {
    throw new UserError(where, "not a .npy file (no \\x93NUMPY magic)");
  }
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new UserError(where, `unsupported .npy format version ${major}.${bytes[7]}`);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw new UserError(where, "truncated .npy header");
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = 8 + lenSize + headerLen;
  if (bytes.length < start) throw new UserError(where, "truncated .npy header");
  const header = bytes.toString(major === 3 ? "utf8" : "latin1", 8 + lenSize, start);
  const { descr, fortran, shape } = parseHeader(header, where);
  const dtype = parseDtype(descr, where);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * dtype.size;
  if (bytes.length - start < size) {
    throw new UserError(
      where,
      `truncated .npy data: shape (${shape.join(", ")}) of ${descr} needs ${size} bytes, found ${bytes.length - start}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, size);
  const data = new Float64Array(count);
  const strides = fortran && shape.length > 1 ? fortranStrides(shape) : null;
  for (let i = 0; i < count; i++) {
    const k = strides ? fortranIndex(i, shape, strides) : i;
    data[i] = dtype.get(view, k * dtype.size, dtype.little);
  }
  return { dtype: descr, shape, data, fortranOrder: fortran };
}

/** Splits "file.npz#member" into the file and the member name. */
function splitMember(path: string): { file: string; member: string | undefined } {
  const m = /^(.*\.npz)#(.+)$/i.exec(path);
  return m ? { file: m[1]!, member: m[2]! } : { file: path, member: undefined };
}

/** Every array of a .npz archive by name (without the .npy suffix). */
export function readNpz(path: string): Map<string, NpyArray> {
  const raw = readBytes(path);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(raw);
  } catch (e) {
    throw new UserError(path, `not a readable .npz (zip) archive: ${(e as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, content] of Object.entries(files)) {
    if (!name.endsWith(".npy")) continue;
    out.set(name.slice(0, -4), parseNpy(content, `${path}#${name.slice(0, -4)}`));
  }
  if (out.size === 0) throw new UserError(path, "the .npz archive holds no .npy arrays");
  return out;
}

function pickMember(path: string, arrays: Map<string, NpyArray>, member: string | undefined, preferred: readonly string[]): NpyArray {
  const names = [...arrays.keys()];
  if (member !== undefined) {
    const a = arrays.get(member);
    if (!a) throw new UserError(`${path}#${member}`, `no array "${member}" in the archive (arrays: ${names.join(", ")})`);
    return a;
  }
  if (arrays.size === 1) return arrays.values().next().value!;
  const name = preferred.find((p) => arrays.has(p));
  if (name === undefined) {
    throw new UserError(path, `holds ${names.length} arrays (${names.join(", ")}): name one as ${path}#<name>`);
  }
  return arrays.get(name)!;
}

/**
 * One array from a .npy file, or from a .npz archive (`a.npz`, `a.npz#name`). `preferred` are the
 * member names tried, in order, when a multi-array .npz is given without a member.
 */
export function readNpy(path: string, preferred: readonly string[] = ["x", "data"]): NpyArray {
  const { file, member } = splitMember(path);
  if (/\.npz$/i.test(file)) return pickMember(file, readNpz(file), member, preferred);
  return parseNpy(readBytes(file), file);
}

// ---------------------------------------------------------------------------------------------
// Writing

export type NpyWritable = Float64Array | Float32Array | Int32Array | Uint8Array | Int16Array | Uint16Array | Int8Array | Uint32Array;

function descrOf(data: NpyWritable): string {
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Int32Array) return "<i4";
  if (data instanceof Uint32Array) return "<u4";
  if (data instanceof Int16Array) return "<i2";
  if (data instanceof Uint16Array) return "<u2";
  if (data instanceof Int8Array) return "|i1";
  return "|u1";
}

/**
 * A .npy file (format 1.0, C order, little-endian) of `data` with `shape`. The header is padded
 * with spaces and ends in a newline so that the data starts at a multiple of 64 bytes, as numpy
 * writes it.
 */
export function encodeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(", ")}) holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const header = dict + " ".repeat(total - unpadded) + "\n";
  if (header.length > 65535) throw new RangeError("encodeNpy: header too long for format 1.0");
  const out = new Uint8Array(total + data.byteLength);
  out.set(Buffer.from(MAGIC, "latin1"), 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  // Typed arrays are in the platform's byte order: little-endian on every platform Node supports.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Datasets

export interface NpyOptions {
  /** The samples: n × D (or n, or n × … flattened); a .npy, or a .npz (`a.npz`, `a.npz#name`). */
  path: string;
  /** Optional 1-D integer array of n class labels (.npy, or `a.npz` for its "labels"/"y" array). */
  labels?: string;
  /** Keep the first n rows. */
  n?: number;
}

export function loadNpy({ path, labels, n }: NpyOptions): Dataset {
  const arr = readNpy(path);
  if (arr.shape.length === 0) throw new UserError(path, "a 0-d (scalar) array is not a dataset");
  const rows = arr.shape[0]!;
  const dim = arr.shape.slice(1).reduce((a, b) => a * b, 1);
  if (rows === 0 || dim === 0) throw new UserError(path, `empty array of shape (${arr.shape.join(", ")})`);
  const keep = Math.min(n ?? rows, rows);
  const ds: Dataset = { name: basename(path), x: arr.data.slice(0, keep * dim), n: keep, dim };
  if (labels !== undefined) {
    const lab = readNpy(labels, ["labels", "y"]);
    if (lab.shape.length !== 1 || lab.shape[0] !== rows) {
      throw new UserError(labels, `labels must have shape (${rows},) to match ${path}, got (${lab.shape.join(", ")})`);
    }
    const bad = lab.data.findIndex((v) => !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1);
    if (bad >= 0) throw new UserError(labels, `label ${lab.data[bad]} at index ${bad} is not an integer`);
    ds.labels = Int32Array.from(lab.data.subarray(0, keep));
  }
  checkFinite(ds, path);
  return ds;
}
