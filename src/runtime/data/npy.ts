/**
 * NumPy .npy files (format versions 1, 2 and 3): little-endian <f4, <f8, <i4, <i8, u1 arrays in
 * C order. A 1-D array is n × 1; more than two dimensions are flattened to n × (product of the rest).
 */
import { basename } from "node:path";
import { UserError } from "../../util/errors.js";
import { checkFinite, type Dataset } from "./dataset.js";
import { readBytes } from "./files.js";

const DTYPES: Record<string, { size: number; get: (v: DataView, o: number) => number }> = {
  "<f4": { size: 4, get: (v, o) => v.getFloat32(o, true) },
  "<f8": { size: 8, get: (v, o) => v.getFloat64(o, true) },
  "<i4": { size: 4, get: (v, o) => v.getInt32(o, true) },
  "<i8": { size: 8, get: (v, o) => Number(v.getBigInt64(o, true)) },
  "<u1": { size: 1, get: (v, o) => v.getUint8(o) },
  "|u1": { size: 1, get: (v, o) => v.getUint8(o) },
};

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float64Array;
}

const MAGIC = "\x93NUMPY";

export function readNpy(path: string): NpyArray {
  const buf = readBytes(path);
  if (buf.length < 10 || buf.toString("latin1", 0, 6) !== MAGIC) {
    throw new UserError(path, "not a .npy file (no \\x93NUMPY magic)");
  }
  const major = buf[6]!;
  if (major < 1 || major > 3) throw new UserError(path, `unsupported .npy format version ${major}.${buf[7]}`);
  const lenSize = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenSize) throw new UserError(path, "truncated .npy header");
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenSize + headerLen;
  if (buf.length < start) throw new UserError(path, "truncated .npy header");
  const header = buf.toString(major === 3 ? "utf8" : "latin1", 8 + lenSize, start);

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(path, `malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === "True") {
    throw new UserError(path, "fortran_order is True; save a C-order array (np.ascontiguousarray) instead");
  }
  const dtype = DTYPES[descr];
  if (!dtype) {
    throw new UserError(path, `unsupported dtype '${descr}' (supported: <f4, <f8, <i4, <i8, <u1)`);
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.length === 0) throw new UserError(path, "a 0-d (scalar) array is not a dataset");
  if (shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new UserError(path, `bad shape (${shapeText})`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * dtype.size;
  if (buf.length - start < bytes) {
    throw new UserError(
      path,
      `truncated .npy data: shape (${shape.join(", ")}) of ${descr} needs ${bytes} bytes, found ${buf.length - start}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset + start, bytes);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = dtype.get(view, i * dtype.size);
  return { dtype: descr, shape, data };
}

export interface NpyOptions {
  /** The samples: n × D (or n, or n × … flattened). */
  path: string;
  /** Optional 1-D integer array of n class labels. */
  labels?: string;
  /** Keep the first n rows. */
  n?: number;
}

export function loadNpy({ path, labels, n }: NpyOptions): Dataset {
  const arr = readNpy(path);
  const rows = arr.shape[0]!;
  const dim = arr.shape.slice(1).reduce((a, b) => a * b, 1);
  if (rows === 0 || dim === 0) throw new UserError(path, `empty array of shape (${arr.shape.join(", ")})`);
  const keep = Math.min(n ?? rows, rows);
  const ds: Dataset = { name: basename(path), x: arr.data.slice(0, keep * dim), n: keep, dim };
  if (labels !== undefined) {
    const lab = readNpy(labels);
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
