/**
 * `ricci-gen bench` end to end at a tiny size (the speed itself is measured by the command, never
 * asserted in a test), and the PyTorch peer runner: it runs the peer script when python3 with torch
 * is there (CI installs python3-torch) and says why when it is not.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTorchPeer, runTorchPeer } from "../src/runtime/peers/torch.js";
import { gpuAvailability } from "../src/runtime/webgpu/device.js";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "ricci-bench-"));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: ROOT,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const inCI = !!process.env["CI"] && process.env["CI"] !== "false";
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;

describe("ricci-gen bench", () => {
  it("times generated kernels and nested autograd in one run (JSON rows)", () => {
    const r = cli(
      "bench",
      "--batch",
      "8",
      "--steps",
      "1",
      "--naive-steps",
      "1",
      "--backends",
      "cpu",
      "--routes",
      "b",
      "--no-peer",
      "--json",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { tfjs: { method: string; msPerStep: number; batch: number }[] }).tfjs;
    expect(rows.map((x) => x.method).sort()).toEqual(["generated", "nested-autograd"]);
    for (const row of rows) {
      expect(row.batch).toBe(8);
      expect(row.msPerStep).toBeGreaterThan(0);
    }
  }, 120_000);

  it("--backend webgpu: the WGSL kernels and the tfjs path for both yardstick decoders (JSON)", async () => {
    const gpu = await gpuAvailability();
    if (!gpu.ok) {
      if (inCI) throw new Error(`no WebGPU adapter under CI: ${gpu.reason}`);
      console.warn(`!!! skipped: no WebGPU adapter (${gpu.reason})`);
      return;
    }
    const r = cli("bench", "--backend", "webgpu", "--batches", "64", "--routes", "b", "--steps", "1", "--no-peer", "--json");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as {
      webgpu: { rows: { model: string; rMs: number; stepMs: number | null }[] };
      tfjs: { model: string; rMs: number; stepMs: number | null }[];
    };
    expect(res.webgpu.rows.map((x) => x.model)).toEqual(["2-64-64-64-3", "2-128-128-128-784"]);
    expect(res.tfjs.map((x) => x.model)).toEqual(["2-64-64-64-3", "2-128-128-128-784"]);
    for (const row of [...res.webgpu.rows, ...res.tfjs]) {
      expect(row.rMs).toBeGreaterThan(0);
      expect(row.stepMs).toBeGreaterThan(0);
    }
  }, 300_000);

  it("rejects a bad flag value with exit 2 naming it", () => {
    const r = cli("bench", "--routes", "c", "--no-peer");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--routes: unknown route 'c'/);
  });
});

describe("PyTorch peer runner", () => {
  it("says why when the script given does not exist", () => {
    const res = runTorchPeer({
      script: join(tmp, "nope.py"),
      device: "cpu",
      widths: [[2, 4, 3]],
      batches: [2],
      activation: "tanh",
      methods: ["gauss2"],
    });
    expect(res.available).toBe(false);
    expect(formatTorchPeer(res)).toMatch(/PyTorch peer: not run — PyTorch peer script .*nope\.py does not exist/);
  });

  it("reports a broken peer script instead of throwing", () => {
    const bad = join(tmp, "broken.py");
    writeFileSync(bad, "raise SystemExit('peer broke on purpose')\n");
    const res = runTorchPeer({ script: bad, device: "cpu", widths: [[2, 4, 3]], batches: [2], activation: "tanh", methods: ["gauss2"] });
    expect(res.available).toBe(false);
    expect(res.note).toMatch(hasTorch ? /peer broke on purpose/ : /no python3 with torch/);
  }, 120_000);

  it.runIf(hasTorch)(
    "runs the peer and parses its rows",
    () => {
      const res = runTorchPeer({ device: "cpu", widths: [[2, 8, 3]], batches: [4], activation: "tanh", methods: ["gauss2"], threads: 1 });
      if (!res.available && /script not found/.test(res.note)) return; // the peer lives in ../shared, outside a bare clone
      expect(res.available).toBe(true);
      expect(res.rows).toHaveLength(1);
      expect(res.rows[0]!.method).toBe("gauss2");
      expect(res.rows[0]!.rMs).toBeGreaterThan(0);
      expect(formatTorchPeer(res)).toMatch(/2-8-3\s+gauss2/);
    },
    120_000,
  );
});
