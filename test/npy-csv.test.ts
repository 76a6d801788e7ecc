/**
 * .npy/.npz and CSV: hand-made byte fixtures for every dtype, byte order and Fortran order (run
 * everywhere), files written by numpy itself when python3 has numpy, and our .npy writer read back
 * by us and by numpy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { encodeNpy, halfToFloat, loadNpy, parseNpy, readNpy, readNpz } from "../src/runtime/data/npy.js";
import { loadCsv } from "../src/runtime/data/csv.js";
import { loadDataset } from "../src/runtime/data/index.js";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-npy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A .npy file built byte by byte from the format description (independent of src's writer). */
function npyBytes(descr: string, shape: number[], payload: Uint8Array, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${shapeText}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([0x93, ...Buffer.from("NUMPY", "latin1"), 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(payload, 10 + header.length);
  return out;
}

/** Bytes of values written element by element with DataView (explicit byte order). */
function packed(values: number[], size: number, put: (v: DataView, o: number, x: number) => void): Uint8Array {
  const buf = new Uint8Array(values.length * size);
  const view = new DataView(buf.buffer);
  values.forEach((x, i) => put(view, i * size, x));
  return buf;
}

function userError(f: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(message);
}

describe(".npy dtypes from hand-made bytes", () => {
  const v = [1, -2, 3, 100];
  it("reads int16, uint16, int8, uint32, uint64 in both byte orders", () => {
    expect([
      ...parseNpy(
        npyBytes(
          "<i2",
          [4],
          packed(v, 2, (d, o, x) => d.setInt16(o, x, true)),
        ),
        "a",
      ).data,
    ]).toEqual(v);
    expect([
      ...parseNpy(
        npyBytes(
          ">i2",
          [4],
          packed(v, 2, (d, o, x) => d.setInt16(o, x, false)),
        ),
        "a",
      ).data,
    ]).toEqual(v);
    expect([
      ...parseNpy(
        npyBytes(
          ">u2",
          [2],
          packed([1, 65535], 2, (d, o, x) => d.setUint16(o, x, false)),
        ),
        "a",
      ).data,
    ]).toEqual([1, 65535]);
    expect([
      ...parseNpy(
        npyBytes(
          "|i1",
          [4],
          packed(v, 1, (d, o, x) => d.setInt8(o, x)),
        ),
        "a",
      ).data,
    ]).toEqual(v);
    expect([
      ...parseNpy(
        npyBytes(
          ">u4",
          [2],
          packed([7, 2 ** 32 - 1], 4, (d, o, x) => d.setUint32(o, x, false)),
        ),
        "a",
      ).data,
    ]).toEqual([7, 2 ** 32 - 1]);
    const u8 = packed([5, 2 ** 40], 8, (d, o, x) => d.setBigUint64(o, BigInt(x), false));
    expect([...parseNpy(npyBytes(">u8", [2], u8), "a").data]).toEqual([5, 2 ** 40]);
    const i8 = packed([-5, 2 ** 40], 8, (d, o, x) => d.setBigInt64(o, BigInt(x), false));
    expect([...parseNpy(npyBytes(">i8", [2], i8), "a").data]).toEqual([-5, 2 ** 40]);
  });

  it("reads big-endian float32/float64 and bool", () => {
    const f = [0.5, -1.25, 3e10];
    expect([
      ...parseNpy(
        npyBytes(
          ">f8",
          [3],
          packed(f, 8, (d, o, x) => d.setFloat64(o, x, false)),
        ),
        "a",
      ).data,
    ]).toEqual(f);
    expect([
      ...parseNpy(
        npyBytes(
          ">f4",
          [3],
          packed(f, 4, (d, o, x) => d.setFloat32(o, x, false)),
        ),
        "a",
      ).data,
    ]).toEqual(f.map(Math.fround));
    expect([...parseNpy(npyBytes("|b1", [4], Uint8Array.from([0, 1, 1, 0])), "a").data]).toEqual([0, 1, 1, 0]);
  });

  it("decodes float16 bit patterns to their exact values", () => {
    // 0x3c00 = 1, 0xc000 = −2, 0x7bff = 65504 (largest), 0x0001 = 2^−24 (smallest subnormal), 0x3555 ≈ 1/3.
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0x0000];
    const want = [1, -2, 65504, 2 ** -24, (1 + 0x155 / 1024) * 2 ** (0x0d - 15), Infinity, 0];
    expect(bits.map(halfToFloat)).toEqual(want);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    const le = parseNpy(
      npyBytes(
        "<f2",
        [7],
        packed(bits, 2, (d, o, x) => d.setUint16(o, x, true)),
      ),
      "a",
    );
    const be = parseNpy(
      npyBytes(
        ">f2",
        [7],
        packed(bits, 2, (d, o, x) => d.setUint16(o, x, false)),
      ),
      "a",
    );
    expect([...le.data]).toEqual(want);
    expect([...be.data]).toEqual(want);
  });

  it("transposes Fortran-order arrays to C order", () => {
    // The 2 × 3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column: 1 4 2 5 3 6.
    const a = parseNpy(
      npyBytes(
        "<f8",
        [2, 3],
        packed([1, 4, 2, 5, 3, 6], 8, (d, o, x) => d.setFloat64(o, x, true)),
        true,
      ),
      "a",
    );
    expect([a.shape, [...a.data], a.fortranOrder]).toEqual([[2, 3], [1, 2, 3, 4, 5, 6], true]);
    // 2 × 2 × 2: element (i, j, k) = 100i + 10j + k; Fortran offset i + 2j + 4k.
    const vals: number[] = new Array<number>(8);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) vals[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
    const c = parseNpy(
      npyBytes(
        "<i4",
        [2, 2, 2],
        packed(vals, 4, (d, o, x) => d.setInt32(o, x, true)),
        true,
      ),
      "a",
    );
    expect([...c.data]).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
  });

  it("refuses complex, structured and string arrays with the dtype named", () => {
    userError(() => parseNpy(npyBytes("<c16", [1], new Uint8Array(16)), "c.npy"), /c\.npy: unsupported dtype '<c16'.*complex/);
    userError(() => parseNpy(npyBytes("<U3", [1], new Uint8Array(12)), "u.npy"), /unsupported dtype '<U3'/);
    const header = "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }\n";
    const rec = Buffer.concat([
      Buffer.from([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length, 0]),
      Buffer.from(header, "latin1"),
      Buffer.alloc(8),
    ]);
    userError(() => parseNpy(rec, "r.npy"), /r\.npy: structured/);
  });
});

describe(".npy writer", () => {
  it("writes a 64-byte aligned version 1.0 header that our reader reads back", () => {
    const x = Float32Array.from([1.5, -2, 3.25, 4, 5, 6]);
    const bytes = encodeNpy(x, [3, 2]);
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(bytes[10 + headerLen - 1]).toBe(0x0a);
    const back = parseNpy(bytes, "w");
    expect([back.dtype, back.shape, [...back.data]]).toEqual(["<f4", [3, 2], [...x]]);
    expect(parseNpy(encodeNpy(Int32Array.from([7]), [1]), "w").dtype).toBe("<i4");
    expect(() => encodeNpy(x, [4, 2])).toThrow(/holds 8 values/);
  });
});

describe(".npz archives", () => {
  const x = npyBytes(
    "<f8",
    [2, 2],
    packed([1, 2, 3, 4], 8, (d, o, v) => d.setFloat64(o, v, true)),
  );
  const y = npyBytes(
    "<i8",
    [2],
    packed([0, 1], 8, (d, o, v) => d.setBigInt64(o, BigInt(v), true)),
  );
  it("reads stored and deflated members and picks x, a named member, labels", () => {
    for (const level of [0, 6] as const) {
      const p = file(`a${level}.npz`, zipSync({ "x.npy": x, "labels.npy": y }, { level }));
      expect([...readNpz(p).keys()].sort()).toEqual(["labels", "x"]);
      const ds = loadNpy({ path: p, labels: p });
      expect([ds.n, ds.dim, [...ds.x], [...ds.labels!]]).toEqual([2, 2, [1, 2, 3, 4], [0, 1]]);
      expect([...readNpy(`${p}#labels`).data]).toEqual([0, 1]);
    }
    const other = file("b.npz", zipSync({ "arr_0.npy": x, "arr_1.npy": y }));
    userError(() => readNpy(other), /holds 2 arrays \(arr_0, arr_1\): name one as .*b\.npz#<name>/);
    userError(() => readNpy(`${other}#nope`), /no array "nope"/);
    expect(loadDataset({ kind: "npy", path: `${other}#arr_0` }).n).toBe(2);
    userError(() => readNpz(file("bad.npz", "PK not a zip")), /not a readable \.npz/);
  });
});

const hasNumpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hasNumpy && process.env["CI"] !== "true")("files written by numpy (python3-numpy installed)", () => {
  it("reads every numeric dtype, big-endian, Fortran order and .npz as numpy wrote them", () => {
    const script = `
import numpy as np, sys, warnings
warnings.simplefilter("ignore")  # numpy warns that the 2.0 file needs NumPy >= 1.9
d = sys.argv[1]
base = np.array([[0, 1, 2], [3, 4, 5]])
for t in ['<f2','>f2','<f4','>f4','<f8','>f8','|i1','|u1','<i2','>i2','<u2','>u2','<i4','>i4','<u4','<i8','>i8','<u8']:
    np.save(f"{d}/{t.replace('<','le').replace('>','be').replace('|','na')}.npy", (base * 3 - 4 * (t[1] in 'if')).astype(t))
np.save(f"{d}/bool.npy", base % 2 == 1)
np.save(f"{d}/fortran.npy", np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)))
np.savez(f"{d}/plain.npz", x=base.astype('<f4'), labels=np.array([3, 5]))
np.savez_compressed(f"{d}/packed.npz", base.astype('>f8'))
np.save(f"{d}/v2.npy", np.zeros((2,), dtype=[('a' * 70000, '<f8')]))
`;
    const run = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const want = (signed: boolean): number[] => [0, 1, 2, 3, 4, 5].map((v) => v * 3 - (signed ? 4 : 0));
    for (const t of [
      "<f2",
      ">f2",
      "<f4",
      ">f4",
      "<f8",
      ">f8",
      "|i1",
      "|u1",
      "<i2",
      ">i2",
      "<u2",
      ">u2",
      "<i4",
      ">i4",
      "<u4",
      "<i8",
      ">i8",
      "<u8",
    ]) {
      const name = t.replace("<", "le").replace(">", "be").replace("|", "na");
      const a = readNpy(join(dir, `${name}.npy`));
      expect([a.shape, [...a.data]], t).toEqual([[2, 3], want("if".includes(t[1]!))]);
    }
    expect([...readNpy(join(dir, "bool.npy")).data]).toEqual([0, 1, 0, 1, 0, 1]);
    const f = readNpy(join(dir, "fortran.npy"));
    expect([f.fortranOrder, f.shape, [...f.data]]).toEqual([true, [2, 3, 4], Array.from({ length: 24 }, (_, i) => i)]);
    const ds = loadNpy({ path: join(dir, "plain.npz"), labels: join(dir, "plain.npz") });
    expect([ds.dim, [...ds.x], [...ds.labels!]]).toEqual([3, [0, 1, 2, 3, 4, 5], [3, 5]]);
    expect([...readNpy(join(dir, "packed.npz")).data]).toEqual([0, 1, 2, 3, 4, 5]);
    // A header over 64 KiB makes numpy write format 2.0; its record dtype is then refused by name.
    userError(() => readNpy(join(dir, "v2.npy")), /structured/);
  });

  it("numpy reads what encodeNpy writes", () => {
    const p = file("ours.npy", encodeNpy(Float64Array.from([1, 2.5, -3, 4]), [2, 2]));
    const q = file("ours-i.npy", encodeNpy(Int32Array.from([9, -9, 7]), [3]));
    const run = spawnSync(
      "/usr/bin/python3",
      [
        "-c",
        `import numpy as np, sys; a = np.load(sys.argv[1]); b = np.load(sys.argv[2]); print(a.dtype.str, a.shape, a.tolist(), b.dtype.str, b.tolist())`,
        p,
        q,
      ],
      {
        encoding: "utf8",
      },
    );
    expect(run.stdout.trim()).toBe("<f8 (2, 2) [[1.0, 2.5], [-3.0, 4.0]] <i4 [9, -9, 7]");
  });
});

describe("CSV through csv-parse", () => {
  it("reads quoted fields with delimiters, doubled quotes and line breaks inside them", () => {
    const p = file("q.csv", '\uFEFF"x, first","say ""y""","multi\nline",label\r\n"1.5",2,3,"1"\n# a comment\n\n4, "5" ,6,0\n');
    const ds = loadCsv({ path: p, label: "label" });
    expect([ds.n, ds.dim, [...ds.x], [...ds.labels!]]).toEqual([2, 3, [1.5, 2, 3, 4, 5, 6], [1, 0]]);
    const byName = loadCsv({ path: p, label: 3 });
    expect([...byName.x]).toEqual([...ds.x]);
  });

  it("names the line of malformed quoting, ragged rows and non-numbers", () => {
    userError(() => loadCsv({ path: file("bad.csv", 'a,b\n1,2\n3,"4\n') }), /bad\.csv(:\d+)?: not valid CSV/);
    userError(() => loadCsv({ path: file("rag.csv", "a,b\n1,2\n3\n") }), /rag\.csv:3: 1 fields, expected 2/);
    userError(() => loadCsv({ path: file("txt.csv", 'a,b\n1,"x,y"\n') }), /txt\.csv:2: column 1 \("b"\): "x,y" is not a number/);
  });
});
