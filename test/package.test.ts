/**
 * The npm package as a user gets it: `npm pack` (from dist/, which npm test builds first), unpacked
 * into node_modules/ricci-gen of a fresh folder elsewhere — offline: its dependencies are linked from
 * this checkout's node_modules, as npm would install them — then used from that folder: the bin
 * (--help, curvature), `import("ricci-gen")` with its types, and the shipped JSON Schemas. Also
 * checks that the tarball holds what the package needs and nothing of the development tree, and that
 * every bare import in dist/ is a declared dependency.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  files: string[];
  exports: Record<string, unknown>;
};
const tmp = mkdtempSync(join(tmpdir(), "ricci-pack-"));
const app = join(tmp, "app");
// No kernel cache: the installed package must transpile generated kernels itself (typescript from dist).
const env = { ...process.env, RICCI_GEN_CACHE: "off" };
let packed: string[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe.skipIf(!existsSync(join(ROOT, "dist/index.js")) && process.env["CI"] !== "true")("the packed package", () => {
  beforeAll(() => {
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const info = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    packed = info[0]!.files.map((f) => f.path);
    const where = join(app, "node_modules", pkg.name);
    mkdirSync(where, { recursive: true });
    execFileSync("tar", ["-xzf", join(tmp, info[0]!.filename), "-C", where, "--strip-components=1"]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    // Offline install: the dependencies as npm would place them, linked from this checkout.
    for (const dep of readdirSync(join(ROOT, "node_modules"))) {
      if (dep === pkg.name || dep.startsWith(".")) continue;
      symlinkSync(join(ROOT, "node_modules", dep), join(app, "node_modules", dep));
    }
    mkdirSync(join(app, "node_modules", ".bin"));
    symlinkSync(join("..", pkg.name, "bin", "ricci-gen.mjs"), join(app, "node_modules", ".bin", "ricci-gen"));
  }, 120_000);

  it("holds the runtime files and none of the development tree", () => {
    for (const f of [
      "bin/ricci-gen.mjs",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "LICENSE",
      "README.md",
      "package.json",
      "schemas/model.schema.json",
      "schemas/train-config.schema.json",
      "templates/typescript",
    ])
      expect(
        packed.some((p) => p === f || p.startsWith(f + "/")),
        f,
      ).toBe(true);
    for (const p of packed) expect(p, p).not.toMatch(/^(test|src|scripts|\.ci|generated|node_modules)\//);
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/MIT License/);
  });

  it("declares every package dist/ imports", () => {
    const builtins = new Set(builtinModules);
    const used = new Set<string>();
    for (const file of walk(join(ROOT, "dist")).filter((f) => f.endsWith(".js"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)["']([^"'./][^"']*)["']/g)) {
        const spec = m[1]!;
        if (spec.startsWith("node:") || spec.startsWith("data:") || builtins.has(spec)) continue;
        used.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    // The package may name itself (the API docs do); every other package must be a dependency.
    const undeclared = [...used].filter((d) => d !== pkg.name && !(d in pkg.dependencies));
    expect(undeclared, `imported by dist/ but not in dependencies`).toEqual([]);
  });

  it("runs `ricci-gen --help` and `curvature` from another folder", () => {
    const bin = join(app, "node_modules", ".bin", "ricci-gen");
    const help = spawnSync(bin, ["--help"], { cwd: app, encoding: "utf8", env });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*143/);
    const sphere = join(app, "node_modules", pkg.name, "examples", "sphere.model.json");
    const r = spawnSync(bin, ["curvature", sphere, "--points", "0.3,0.1", "--json"], { cwd: app, encoding: "utf8", env });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { points: { R: { b: number } }[] };
    expect(out.points[0]!.R.b).toBeCloseTo(0.5, 10);
  }, 120_000);

  it("import('ricci-gen') gives the documented API, with types", () => {
    const script = [
      `import { loadModel, curvature, compile, trainFromConfig, evaluateRun, runCli, EXIT } from "ricci-gen";`,
      `const m = loadModel(${JSON.stringify(join(ROOT, "examples/sphere.model.json"))});`,
      `const [p] = await curvature(m, [[0.3, 0.1]], { routes: ["a", "b"] });`,
      `console.log(JSON.stringify({ R: p.R, fns: [typeof compile, typeof trainFromConfig, typeof evaluateRun, typeof runCli], exit: EXIT.usage }));`,
    ].join("\n");
    writeFileSync(join(app, "use.mjs"), script);
    const r = spawnSync(process.execPath, ["use.mjs"], { cwd: app, encoding: "utf8", env });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { R: { a: number; b: number }; fns: string[]; exit: number };
    expect(out.R.a).toBeCloseTo(0.5, 10);
    expect(out.R.b).toBeCloseTo(0.5, 10);
    expect(out.fns).toEqual(["function", "function", "function", "function"]);
    expect(out.exit).toBe(2);
    const types = readFileSync(join(app, "node_modules", pkg.name, "dist", "index.d.ts"), "utf8");
    expect(types).toMatch(/export declare function curvature/);
    expect((pkg.exports["."] as { types: string }).types).toBe("./dist/index.d.ts");
  }, 120_000);

  it("ships the JSON Schemas under their export paths", () => {
    for (const f of ["model.schema.json", "train-config.schema.json"]) {
      const shipped = join(app, "node_modules", pkg.name, "schemas", f);
      expect(JSON.parse(readFileSync(shipped, "utf8")).$schema).toMatch(/json-schema\.org/);
      expect(Object.keys(pkg.exports)).toContain(`./schemas/${f}`);
    }
  });
});

it("dist/ is built (npm test runs `npm run build` first)", () => {
  expect(existsSync(join(ROOT, "dist/index.js"))).toBe(true);
});
