/**
 * The CLI end to end: compile output, curvature at points (both routes, degenerate points), check
 * failing on NaN (exit 1), the exit-code table in --help, and bad input → exit 2 with one clear line.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/main.js";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "ricci-cli-"));

/** The CLI in this process (runCli, as the bin calls it), output captured. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    return { code: await runCli(["node", "ricci-gen", ...args]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function modelFile(name: string, content: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const valid = {
  name: "cli-test",
  latentDim: 2,
  outputDim: 3,
  decoder: {
    type: "mlp",
    layers: [
      { units: 8, activation: "tanh" },
      { units: 3, activation: "linear" },
    ],
  },
};

describe("ricci-gen compile and curvature", () => {
  it("compiles into the chosen folder and prints a summary", async () => {
    const out = join(tmp, "gen");
    const r = await inProcess(["compile", modelFile("ok.json", valid), "-o", out, "--route", "b"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/compiled cli-test: d = 2, D = 3/);
    expect(r.stdout).toMatch(/scalarCurvatureB/);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).routes).toEqual(["b"]);
  });

  it("evaluates R at points: the sphere of radius 2 gives 0.5", async () => {
    const r = await inProcess(["curvature", join(ROOT, "examples/sphere.model.json"), "--points", "0.3,0.1;-0.5,1", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { points: { R: { b: number }; christoffel: number[]; ricci: number[] }[] };
    expect(out.points).toHaveLength(2);
    for (const p of out.points) {
      expect(p.R.b).toBeCloseTo(0.5, 10);
      expect(p.christoffel).toHaveLength(8);
      expect(p.ricci).toHaveLength(4);
    }
  });
});

describe("curvature and check keep their promises", () => {
  it("--route both gives R by each route; a degenerate point (det g = 0) is marked, not NaN", async () => {
    const r = await inProcess([
      "curvature",
      join(ROOT, "examples/sphere.model.json"),
      "--points",
      `0.3,0.1;${Math.PI / 2},0`,
      "--route",
      "both",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      routes: string[];
      points: { degenerate: boolean; detg: number; R: { a: number | null; b: number | null } }[];
    };
    expect(out.routes).toEqual(["a", "b"]);
    expect(out.points[0]!.degenerate).toBe(false);
    expect(out.points[0]!.R.a).toBeCloseTo(0.5, 10);
    expect(out.points[0]!.R.b).toBeCloseTo(0.5, 10);
    // At the pole u = π/2 the sphere's chart collapses: g = diag(4, 4cos²u) is singular.
    expect(out.points[1]!.degenerate).toBe(true);
    expect(out.points[1]!.R).toEqual({ a: null, b: null });
    const text = await inProcess(["curvature", join(ROOT, "examples/sphere.model.json"), "--points", `${Math.PI / 2},0`]);
    expect(text.stdout).toMatch(/R undefined: degenerate point \(det g = 0/);
    expect(text.stdout).not.toMatch(/NaN/);
  });

  it("check fails with exit 1 when an error is NaN", async () => {
    const model = modelFile("sqrt.json", {
      name: "sqrt",
      latentDim: 2,
      outputDim: 3,
      decoder: { type: "analytic", variables: ["u", "v"], formulas: ["sqrt(u)", "v", "u*v"] },
    });
    const r = await inProcess(["check", model, "--points", "-1,0.5;-2,0.1"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL: .*NaN/);
  });

  it("--help lists the exit codes; commander's own errors exit 2", async () => {
    const help = await inProcess(["--help"]);
    expect(help.code).toBe(0);
    for (const code of ["0", "1", "2", "3", "130", "143"]) expect(help.stdout).toMatch(new RegExp(`^\\s+${code}\\s`, "m"));
    expect((await inProcess(["--foo"])).code).toBe(2);
    expect((await inProcess(["frobnicate"])).code).toBe(2);
    expect((await inProcess(["compile"])).code).toBe(2);
  });
});

describe("bad input: exit code 2, one line naming the field and the fix, output left intact", () => {
  const out = join(tmp, "keep");
  const cases: [string, unknown, RegExp][] = [
    ["unparsable JSON", '{ "name": "x", ', /JSON|line/i],
    ["schema violation", { ...valid, outputDim: "three" }, /outputDim/],
    [
      "unknown activation",
      {
        ...valid,
        decoder: {
          type: "mlp",
          layers: [
            { units: 8, activation: "swish2" },
            { units: 3, activation: "linear" },
          ],
        },
      },
      /decoder\.layers\[0\]\.activation.*tanh/,
    ],
    [
      "non-smooth activation",
      {
        ...valid,
        decoder: {
          type: "mlp",
          layers: [
            { units: 8, activation: "relu" },
            { units: 3, activation: "linear" },
          ],
        },
      },
      /C³|C\^3|smooth/,
    ],
    [
      "formula that does not parse",
      {
        ...valid,
        decoder: {
          type: "mlp",
          layers: [
            { units: 8, activation: { formula: "x + * 2" } },
            { units: 3, activation: "linear" },
          ],
        },
      },
      /formula/,
    ],
    [
      "formula with a symbol other than x",
      {
        ...valid,
        decoder: {
          type: "mlp",
          layers: [
            { units: 8, activation: { formula: "tanh(y)" } },
            { units: 3, activation: "linear" },
          ],
        },
      },
      /\by\b/,
    ],
    ["dimension mismatch", { ...valid, outputDim: 4 }, /outputDim|units/],
    ["d out of range", { ...valid, latentDim: 9 }, /latentDim/],
  ];
  it("keeps a previous compile when a later one fails", async () => {
    expect((await inProcess(["compile", modelFile("keep.json", valid), "-o", out])).code).toBe(0);
  });
  for (const [label, content, pattern] of cases) {
    it(label, async () => {
      const before = readFileSync(join(out, "kernels.ts"), "utf8");
      const r = await inProcess(["compile", modelFile(`${label.replace(/\W+/g, "-")}.json`, content), "-o", out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
      expect(existsSync(join(out, "kernels.ts"))).toBe(true);
      expect(readFileSync(join(out, "kernels.ts"), "utf8")).toBe(before);
    });
  }
});
