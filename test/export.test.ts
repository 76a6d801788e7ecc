/**
 * `ricci-gen export`: the safetensors writer against the format's layout rules, and a trained run
 * exported as .npy and .safetensors, read back and checked against an independent float64 forward
 * pass of the exported encoder (so the weight layout, the codes and the file formats are all
 * tested), numpy reading the files where python3 has numpy, the ONNX decoder run by onnxruntime
 * against the same float64 pass and finite differences, and the CLI's exit 2 for bad flags and for
 * an output folder it must not replace.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/main.js";
import { parseNpy } from "../src/runtime/data/npy.js";
import { swissRoll } from "../src/runtime/data/synthetic.js";
import { exportRun } from "../src/runtime/export/export-run.js";
import { evaluateRunFolder } from "../src/runtime/run-eval/index.js";
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "../src/runtime/export/safetensors.js";
import { loadCheckpoint, decodeF32 } from "../src/runtime/train/checkpoint.js";
import { parseTrainConfig } from "../src/runtime/train/config.js";
import { train } from "../src/runtime/train/trainer.js";
import { UserError } from "../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ricci-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("safetensors layout", () => {
  const tensors = new Map([
    ["b", { data: Float32Array.from([1, 2, 3]), shape: [3] }],
    ["a", { data: Float64Array.from([4, 5]), shape: [2, 1] }],
    ["c", { data: Int32Array.from([-1]), shape: [1] }],
  ]);
  const bytes = encodeSafetensors(tensors, { note: "x" });
  it("writes u64 header length, a space-padded JSON header aligned to 8, contiguous offsets", () => {
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8");
    expect(header.startsWith("{")).toBe(true);
    const parsed = JSON.parse(header) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    // Decreasing alignment, then name: the 8-byte tensor first.
    expect(parsed["a"]).toEqual({ dtype: "F64", shape: [2, 1], data_offsets: [0, 16] });
    expect(parsed["b"]).toEqual({ dtype: "F32", shape: [3], data_offsets: [16, 28] });
    expect(parsed["c"]).toEqual({ dtype: "I32", shape: [1], data_offsets: [28, 32] });
    expect(parsed["__metadata__"]).toEqual({ note: "x" });
    expect(bytes.length).toBe(8 + n + 32);
    const back = decodeSafetensors(bytes);
    expect([...back.tensors.get("b")!.data]).toEqual([1, 2, 3]);
    expect([...back.tensors.get("a")!.data]).toEqual([4, 5]);
    expect(back.metadata).toEqual({ note: "x" });
  });

  it("rejects gaps, sizes that do not match the shape, and a header that is not an object", () => {
    const make = (header: object, buffer: number): Uint8Array => {
      const json = Buffer.from(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + buffer);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => decodeSafetensors(make({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8))).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(make({ x: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4))).toThrow(/4 bytes for shape \[2\]/);
    expect(() => decodeSafetensors(make({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 8))).toThrow(/cover 4 of 8/);
    expect(() => decodeSafetensors(make([1], 0))).toThrow(/start with/);
  });
});

/** Float64 forward pass of an exported MLP (tanh hidden layers, linear output), rows of x. */
function forward(layers: { W: Float64Array; b: Float64Array; out: number; inp: number }[], x: Float64Array, n: number): Float64Array {
  let h = x;
  layers.forEach((l, k) => {
    const y = new Float64Array(n * l.out);
    for (let i = 0; i < n; i++)
      for (let o = 0; o < l.out; o++) {
        let s = l.b[o]!;
        for (let j = 0; j < l.inp; j++) s += l.W[o * l.inp + j]! * h[i * l.inp + j]!;
        y[i * l.out + o] = k < layers.length - 1 ? Math.tanh(s) : s;
      }
    h = y;
  });
  return h;
}

describe("a trained run exported", () => {
  let runDir = "";
  beforeAll(async () => {
    const model = join(dir, "m.model.json");
    writeFileSync(
      model,
      JSON.stringify({
        name: "m",
        latentDim: 2,
        outputDim: 3,
        decoder: {
          type: "mlp",
          layers: [
            { units: 8, activation: "tanh" },
            { units: 3, activation: "linear" },
          ],
        },
        encoder: {
          layers: [
            { units: 8, activation: "tanh" },
            { units: 2, activation: "linear" },
          ],
        },
        weights: { seed: 2 },
      }),
    );
    const config = parseTrainConfig(
      {
        name: "exp",
        model,
        dataset: { kind: "swiss-roll", n: 300, seed: 1 },
        loss: { curv: 0 },
        epochs: 1,
        batch: 50,
        seed: 1,
        evalEvery: 0,
        backend: "cpu",
        runsDir: join(dir, "runs"),
      },
      { baseDir: dir },
    );
    runDir = (await train(config, { progress: false, evaluate: false })).runDir;
  }, 60_000);

  it("as .npy: weights equal the checkpoint, codes equal a float64 pass of the exported encoder", async () => {
    const out = join(dir, "npy");
    const r = await exportRun(runDir, { format: "npy", outDir: out });
    const npy = (name: string) => parseNpy(readFileSync(join(out, `${name}.npy`)), name);
    const ck = loadCheckpoint(join(runDir, "checkpoint.json"));
    const enc = decodeF32(ck.params["encoder"]!, "enc");
    const w0 = npy("encoder.layers.0.weight");
    expect([w0.dtype, w0.shape]).toEqual(["<f4", [8, 3]]);
    expect([...w0.data]).toEqual([...enc.subarray(0, 24)]);
    const manifest = JSON.parse(readFileSync(join(out, "export.json"), "utf8")) as {
      tensors: Record<string, { shape: number[] }>;
      torus: boolean;
    };
    expect(manifest.torus).toBe(false);
    const train_ = npy("latent.train");
    const test = npy("latent.test");
    expect(train_.shape[0]! + test.shape[0]!).toBe(300);
    expect([r.trainCodes, r.testCodes]).toEqual([train_.shape[0], test.shape[0]]);
    expect(manifest.tensors["latent.train"]!.shape).toEqual(train_.shape);
    // Independent check of layout and codes: standardise the test rows, run the exported encoder in float64.
    const layers = [0, 1].map((k) => {
      const W = npy(`encoder.layers.${k}.weight`);
      return { W: W.data, b: npy(`encoder.layers.${k}.bias`).data, out: W.shape[0]!, inp: W.shape[1]! };
    });
    const mean = npy("data.mean").data;
    const std = npy("data.std").data;
    const all = swissRoll({ n: 300, noise: 1e-6, seed: 1 });
    const x = all.x.map((v, i) => (v - mean[i % 3]!) / std[i % 3]!);
    const z = forward(layers, x, all.n);
    // Every exported code (train and test) is the float64 code of one dataset row, to float32 accuracy.
    const codes = [...train_.data, ...test.data];
    let worst = 0;
    for (let i = 0; i < codes.length / 2; i++) {
      let best = Infinity;
      for (let j = 0; j < all.n; j++) best = Math.min(best, Math.hypot(codes[2 * i]! - z[2 * j]!, codes[2 * i + 1]! - z[2 * j + 1]!));
      worst = Math.max(worst, best);
    }
    expect(worst).toBeLessThan(1e-4);
  }, 60_000);

  it("evaluation writes every test code to latent.npy (the export's latent.test) and a metric grid", async () => {
    await evaluateRunFolder(runDir, { backend: "cpu" });
    const all = parseNpy(readFileSync(join(runDir, "latent.npy")), "latent.npy");
    const exported = parseNpy(readFileSync(join(dir, "npy", "latent.test.npy")), "t");
    expect(all.shape).toEqual(exported.shape);
    expect([...all.data]).toEqual([...exported.data]);
    const latent = JSON.parse(readFileSync(join(runDir, "latent.json"), "utf8")) as {
      metricGrid: { nx: number; ny: number; g: (number | null)[] };
    };
    expect([latent.metricGrid.nx, latent.metricGrid.ny, latent.metricGrid.g.length]).toEqual([12, 12, 432]);
    expect(latent.metricGrid.g.every((v) => v === null || Number.isFinite(v))).toBe(true);
  }, 60_000);

  it("as .safetensors: the same arrays, read by our strict reader and (where present) by numpy", async () => {
    const out = join(dir, "st");
    await exportRun(runDir, { format: "safetensors", outDir: out });
    const w = decodeSafetensors(readFileSync(join(out, "weights.safetensors")));
    const l = decodeSafetensors(readFileSync(join(out, "latent.safetensors")));
    const npyW = parseNpy(readFileSync(join(dir, "npy", "decoder.layers.1.weight.npy")), "w");
    expect(w.tensors.get("decoder.layers.1.weight")!.shape).toEqual([3, 8]);
    expect([...w.tensors.get("decoder.layers.1.weight")!.data]).toEqual([...npyW.data]);
    expect([...l.tensors.get("latent.test")!.data]).toEqual([...parseNpy(readFileSync(join(dir, "npy", "latent.test.npy")), "t").data]);
    expect(w.metadata["run"]).toBe("exp");
    const hasNumpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0;
    if (!hasNumpy) return;
    // A reader written from the specification alone (struct + json + numpy), as the reference library reads.
    const script = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], 'rb').read()
n, = struct.unpack('<Q', b[:8])
h = json.loads(b[8:8 + n])
t = h['decoder.layers.1.weight']
s, e = t['data_offsets']
a = np.frombuffer(b[8 + n + s:8 + n + e], dtype='<f4').reshape(t['shape'])
print(a.shape, float(np.abs(a - np.load(sys.argv[2])).max()))`;
    const run = spawnSync(
      "/usr/bin/python3",
      ["-c", script, join(out, "weights.safetensors"), join(dir, "npy", "decoder.layers.1.weight.npy")],
      { encoding: "utf8" },
    );
    expect(run.stdout.trim()).toBe("(3, 8) 0.0");
  }, 60_000);

  it("as ONNX: onnxruntime reproduces a float64 pass of the exported decoder, and g = JᵀJ", async () => {
    const out = join(dir, "onnx");
    await exportRun(runDir, { format: "onnx", outDir: out });
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(readFileSync(join(out, "decoder.onnx")));
    const codes = parseNpy(readFileSync(join(out, "latent.test.npy")), "codes");
    const n = codes.shape[0]!;
    const result = await session.run({ z: new ort.Tensor("float32", Float32Array.from(codes.data), [n, 2]) });
    const x = result["x"]!.data as Float32Array;
    const J = result["J"]!.data as Float32Array;
    const g = result["g"]!.data as Float32Array;
    const npy = (name: string) => parseNpy(readFileSync(join(dir, "npy", `${name}.npy`)), name);
    const layers = [0, 1].map((k) => {
      const W = npy(`decoder.layers.${k}.weight`);
      return { W: W.data, b: npy(`decoder.layers.${k}.bias`).data, out: W.shape[0]!, inp: W.shape[1]! };
    });
    const ref = forward(layers, codes.data, n);
    let worst = 0;
    for (let i = 0; i < n * 3; i++) worst = Math.max(worst, Math.abs(x[i]! - ref[i]!));
    expect(worst).toBeLessThan(1e-4);
    // J against central differences of the float64 pass, g against JᵀJ, at the first point.
    const h = 1e-5;
    for (let a = 0; a < 2; a++) {
      const zp = Float64Array.from(codes.data.subarray(0, 2));
      const zm = Float64Array.from(zp);
      zp[a]! += h;
      zm[a]! -= h;
      const [fp, fm] = [forward(layers, zp, 1), forward(layers, zm, 1)];
      for (let o = 0; o < 3; o++) expect(J[o * 2 + a]!).toBeCloseTo((fp[o]! - fm[o]!) / (2 * h), 4);
    }
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) {
        let s = 0;
        for (let o = 0; o < 3; o++) s += J[o * 2 + a]! * J[o * 2 + b]!;
        expect(g[a * 2 + b]!).toBeCloseTo(s, 5);
      }
    expect(readdirSync(out).filter((f) => f.includes("layers"))).toEqual([]); // the weights live in the graph
  }, 60_000);

  it("refuses a non-empty folder that is not an export, an unknown format, and a folder in the run, with exit 2", async () => {
    const other = join(dir, "precious");
    mkdirSync(other);
    writeFileSync(join(other, "keep.txt"), "mine");
    await expect(exportRun(runDir, { format: "npy", outDir: other })).rejects.toThrow(UserError);
    expect(readFileSync(join(other, "keep.txt"), "utf8")).toBe("mine");
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runCli(["node", "ricci-gen", "export", runDir, "--format", "zip"])).toBe(2);
      expect(await runCli(["node", "ricci-gen", "export", runDir, "--format", "npy", "-o", join(runDir, "x")])).toBe(2);
      expect(await runCli(["node", "ricci-gen", "export", runDir, "--format", "npy", "-o", other])).toBe(2);
      const lines = err.mock.calls.map((c) => String(c[0]));
      expect(lines[0]).toMatch(/^ricci-gen: --format: must be one of npy, safetensors, onnx/);
      expect(lines[1]).toMatch(/is inside the run folder/);
      expect(lines[2]).toMatch(/precious: is not empty and holds no export\.json/);
      expect(lines).toHaveLength(3);
    } finally {
      err.mockRestore();
    }
  });
});
