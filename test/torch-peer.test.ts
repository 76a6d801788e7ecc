/**
 * The in-repository PyTorch peer (peers/torch_ricci.py) computes the same R as ricci-gen's float64
 * kernels, by both of its methods (nested jacfwd = route A, Gauss equation = route B), on small
 * model.json files with explicit weights. Skipped only where python3 with torch is missing outside
 * CI; under CI=true (.ci/run installs python3-torch) a missing torch fails.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileModel } from "../src/emit/compile.js";
import { loadModel } from "../src/model/load.js";
import { initialParams } from "../src/model/params.js";
import { loadKernelModule } from "../src/runtime/kernel-module.js";
import { defaultPeerScript, findTorchPython, formatTorchPeer, runTorchPeer, torchPeerCurvature } from "../src/runtime/peers/torch.js";
import { points } from "./helpers/models.js";

const inCI = process.env["CI"] === "true";
const python = findTorchPython();
const script = defaultPeerScript();
if (!python && !inCI) console.warn("torch-peer tests skipped: no python3 with torch (apt-get install python3-torch libopenblas0-openmp)");
const run = python !== null || inCI;

const dir = mkdtempSync(join(tmpdir(), "ricci-torch-peer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  d: number;
  D: number;
  torus: boolean;
  layers: { units: number; activation: string }[];
}

const CASES: Case[] = [
  {
    name: "mixed-d2",
    d: 2,
    D: 5,
    torus: false,
    layers: [
      { units: 7, activation: "tanh" },
      { units: 6, activation: "softplus" },
      { units: 5, activation: "linear" },
    ],
  },
  {
    name: "torus-sin",
    d: 2,
    D: 6,
    torus: true,
    layers: [
      { units: 8, activation: "sin" },
      { units: 6, activation: "linear" },
    ],
  },
  {
    name: "mixed-d3",
    d: 3,
    D: 6,
    torus: false,
    layers: [
      { units: 6, activation: "gelu" },
      { units: 5, activation: "sigmoid" },
      { units: 6, activation: "silu" },
    ],
  },
];

/** A model.json whose decoder weights are written out, so both sides use the same numbers. */
function writeModel(c: Case): string {
  const base = {
    name: c.name,
    latentDim: c.d,
    outputDim: c.D,
    decoder: { type: "mlp", torusEmbedding: c.torus, layers: c.layers },
    weights: { seed: 3 },
  };
  const seeded = join(dir, `${c.name}.seeded.model.json`);
  writeFileSync(seeded, JSON.stringify(base));
  const m = loadModel(seeded);
  if (m.decoder.type !== "mlp") throw new Error("mlp expected");
  const values = Array.from(initialParams(m.decoder, m.decoderWeights), (v) => v * 1.5); // larger weights: more curvature
  const path = join(dir, `${c.name}.model.json`);
  writeFileSync(path, JSON.stringify({ ...base, weights: { values } }));
  return path;
}

describe.runIf(run)("PyTorch peer vs ricci-gen's float64 kernels", () => {
  it("finds python3 with torch and the in-repository script", () => {
    expect(python, "python3 with torch (CI installs python3-torch)").not.toBeNull();
    expect(script).toMatch(/peers\/torch_ricci\.py$/);
  });

  for (const c of CASES)
    it(`gives the same R by jacfwd3 and gauss as routes A and B (${c.name})`, async () => {
      const path = writeModel(c);
      const model = loadModel(path);
      if (model.decoder.type !== "mlp") throw new Error("mlp expected");
      const kernels = await loadKernelModule(compileModel(model, ["a", "b"]).files.get("kernels.ts")!);
      const params = initialParams(model.decoder, model.decoderWeights);
      const n = 12;
      const z = points(c.d, n, 5, -1.5, 1.5);
      const a = kernels.kernels["scalarCurvatureA"]!(params, z, n)["R"]!;
      const b = kernels.kernels["scalarCurvatureB"]!(params, z, n)["R"]!;
      const detg = kernels.kernels["metric"]!(params, z, n)["detg"]!;
      const peer = torchPeerCurvature({ model: path, points: z, latentDim: c.d });
      const scale = Math.max(...Array.from(b, Math.abs));
      expect(scale).toBeGreaterThan(1e-3); // a curved decoder, not a trivially flat one
      for (let i = 0; i < n; i++) {
        const tol = 1e-5 * Math.max(Math.abs(b[i]!), 1e-2 * scale);
        expect(Math.abs(peer["jacfwd3"]!.R[i]! - a[i]!), `jacfwd3 vs route A at point ${i}`).toBeLessThan(tol);
        expect(Math.abs(peer["gauss"]!.R[i]! - b[i]!), `gauss vs route B at point ${i}`).toBeLessThan(tol);
        expect(Math.abs(peer["gauss"]!.detg[i]! - detg[i]!)).toBeLessThan(1e-9 * detg[i]!);
      }
    });

  it("passes its own validation (closed forms, method agreement, ε)", () => {
    const r = spawnSync(python!, [script!, "--validate"], { encoding: "utf8", timeout: 300_000 });
    expect(r.stderr).toMatch(/validation passed/);
    expect(r.stderr).not.toMatch(/FAIL/);
    expect(r.status).toBe(0);
  });

  it("times every method and kind on a model.json with an encoder, with a MatMul ceiling", () => {
    const path = join(dir, "ae.model.json");
    const ae = {
      name: "ae",
      latentDim: 2,
      outputDim: 4,
      decoder: {
        type: "mlp",
        torusEmbedding: true,
        layers: [
          { units: 8, activation: "sin" },
          { units: 4, activation: "linear" },
        ],
      },
      encoder: {
        layers: [
          { units: 8, activation: "sin" },
          { units: 2, activation: "linear" },
        ],
      },
    };
    writeFileSync(path, JSON.stringify(ae));
    const res = runTorchPeer({
      device: "cpu",
      widths: [],
      model: path,
      batches: [4],
      activation: "tanh",
      methods: ["func_fwd", "jet3", "gauss"], // the old script's name for jacfwd3 is an alias; jet3 is not in this peer
      kinds: ["R", "step", "ae-step"],
      threads: 1,
      reps: 1,
    });
    expect(res.note).toMatch(/torch .* on cpu, 1 threads .*not in the peer: jet3/);
    expect(res.rows.map((r) => [r.widths, r.method, r.family])).toEqual([
      ["4-8-4 (torus)", "func_fwd", "peer"],
      ["4-8-4 (torus)", "gauss", "fast"],
    ]);
    for (const r of res.rows) for (const ms of [r.rMs, r.stepMs, r.aeStepMs]) expect(ms).toBeGreaterThan(0);
    expect(res.matmul[0]!.shape).toEqual([24, 4, 8]); // 4 points × 6 route-B jet columns through the (first) largest layer, 4 → 8
    expect(formatTorchPeer(res)).toMatch(/ae-step µs\/pt/);
  });

  it("exits 2 with one line on bad input", () => {
    const bad = join(dir, "analytic.model.json");
    writeFileSync(
      bad,
      JSON.stringify({
        name: "s",
        latentDim: 2,
        outputDim: 3,
        decoder: { type: "analytic", variables: ["u", "v"], formulas: ["u", "v", "u*v"] },
      }),
    );
    for (const args of [
      ["--model", bad],
      ["--batch", "0"],
      ["--methods", "jet9"],
      ["--widths", "2,8,3", "--act", "relu"],
    ]) {
      const r = spawnSync(python!, [script!, ...args], { encoding: "utf8", timeout: 60_000 });
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/Traceback/);
    }
  });
});
