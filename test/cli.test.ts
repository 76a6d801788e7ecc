/** The CLI end to end: compile output, curvature at points, and bad input → exit 2 with one clear line. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "ricci-cli-"));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: tmp,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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
  decoder: { type: "mlp", layers: [{ units: 8, activation: "tanh" }, { units: 3, activation: "linear" }] },
};

describe("ricci-gen compile and curvature", () => {
  it("compiles into the chosen folder and prints a summary", () => {
    const out = join(tmp, "gen");
    const r = cli("compile", modelFile("ok.json", valid), "-o", out, "--route", "b");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/compiled cli-test: d = 2, D = 3/);
    expect(r.stdout).toMatch(/scalarCurvatureB/);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).routes).toEqual(["b"]);
  });

  it("evaluates R at points: the sphere of radius 2 gives 0.5", () => {
    const r = cli("curvature", join(ROOT, "examples/sphere.model.json"), "--points", "0.3,0.1;-0.5,1", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { points: { R: number; christoffel: number[]; ricci: number[] }[] };
    expect(out.points).toHaveLength(2);
    for (const p of out.points) {
      expect(p.R).toBeCloseTo(0.5, 10);
      expect(p.christoffel).toHaveLength(8);
      expect(p.ricci).toHaveLength(4);
    }
  });
});

describe("bad input: exit code 2, one line naming the field and the fix, output left intact", () => {
  const out = join(tmp, "keep");
  const cases: [string, unknown, RegExp][] = [
    ["unparsable JSON", '{ "name": "x", ', /JSON|line/i],
    ["schema violation", { ...valid, outputDim: "three" }, /outputDim/],
    ["unknown activation", { ...valid, decoder: { type: "mlp", layers: [{ units: 8, activation: "swish2" }, { units: 3, activation: "linear" }] } }, /decoder\.layers\[0\]\.activation.*tanh/],
    ["non-smooth activation", { ...valid, decoder: { type: "mlp", layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "linear" }] } }, /C³|C\^3|smooth/],
    ["formula that does not parse", { ...valid, decoder: { type: "mlp", layers: [{ units: 8, activation: { formula: "x + * 2" } }, { units: 3, activation: "linear" }] } }, /formula/],
    ["formula with a symbol other than x", { ...valid, decoder: { type: "mlp", layers: [{ units: 8, activation: { formula: "tanh(y)" } }, { units: 3, activation: "linear" }] } }, /\by\b/],
    ["dimension mismatch", { ...valid, outputDim: 4 }, /outputDim|units/],
    ["d out of range", { ...valid, latentDim: 9 }, /latentDim/],
  ];
  it("keeps a previous compile when a later one fails", () => {
    expect(cli("compile", modelFile("keep.json", valid), "-o", out).code).toBe(0);
  });
  for (const [label, content, pattern] of cases) {
    it(label, () => {
      const before = readFileSync(join(out, "kernels.ts"), "utf8");
      const r = cli("compile", modelFile(`${label.replace(/\W+/g, "-")}.json`, content), "-o", out);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
      expect(existsSync(join(out, "kernels.ts"))).toBe(true);
      expect(readFileSync(join(out, "kernels.ts"), "utf8")).toBe(before);
    });
  }
});
