/** Emitted TypeScript: deterministic, strict-clean, committed examples up to date, atomic output. */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compileModel } from "../src/emit/compile.js";
import { loadModel } from "../src/model/load.js";
import { writeFolderAtomic } from "../src/util/atomic.js";
import { mlpModel, named } from "./helpers/models.js";

const ROOT = join(import.meta.dirname, "..");

function strictDiagnostics(source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "ricci-strict-"));
  const file = join(dir, "kernels.ts");
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: true,
    noImplicitReturns: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    noEmit: true,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("TypeScript emission", () => {
  it("is deterministic: byte-identical on re-run", () => {
    const model = mlpModel({ d: 2, D: 3, hidden: [5], activation: named("gelu") });
    const a = compileModel(model);
    const b = compileModel(model);
    expect([...a.files]).toEqual([...b.files]);
    expect([...a.binaryFiles]).toEqual([...b.binaryFiles]);
  });

  it("passes tsc --strict (with noUncheckedIndexedAccess and noUnusedLocals)", () => {
    for (const model of [
      mlpModel({ d: 3, D: 4, hidden: [5, 4], activation: named("softplus"), torus: true }),
      mlpModel({ d: 2, D: 3, hidden: [4], activation: { kind: "formula", formula: "atan(x) + x^2/10" } }),
      loadModel(join(ROOT, "examples/sphere.model.json")),
    ]) {
      expect(strictDiagnostics(compileModel(model).files.get("kernels.ts")!)).toEqual([]);
    }
  });

  it("the committed generated/ output of every example is up to date", () => {
    const examples = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".model.json"));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const f of examples) {
      const model = loadModel(join(ROOT, "examples", f));
      const dir = join(ROOT, "generated", model.name);
      for (const [name, content] of compileModel(model).files) {
        const path = join(dir, name);
        expect(existsSync(path), `${path} is missing: run \`npm run generate\``).toBe(true);
        expect(readFileSync(path, "utf8") === content, `${path} is stale: run \`npm run generate\``).toBe(true);
      }
      for (const [name, bytes] of compileModel(model).binaryFiles) {
        const path = join(dir, name);
        expect(existsSync(path), `${path} is missing: run \`npm run generate\``).toBe(true);
        expect(Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0, `${path} is stale: run \`npm run generate\``).toBe(true);
      }
    }
  });

  it("writes a manifest with source hash, generator, kernels and op counts", () => {
    const model = loadModel(join(ROOT, "examples/swiss-roll.model.json"));
    const { manifest } = compileModel(model, ["b"]);
    expect(manifest.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.generator).toMatch(/^ricci-gen /);
    expect(manifest.kernels.map((k) => k.name)).toContain("scalarCurvatureB");
    expect(manifest.kernels.map((k) => k.name)).not.toContain("scalarCurvatureA");
    for (const k of manifest.kernels) expect(k.ops.afterCse).toBeLessThanOrEqual(k.ops.beforeCse);
  });

  it("a failed write leaves the previous output intact", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ricci-atomic-")), "out");
    writeFolderAtomic(dir, new Map([["a.txt", "old"]]));
    expect(() =>
      writeFolderAtomic(
        dir,
        new Map([
          ["a.txt", "new"],
          ["bad\0name", "x"],
        ]),
      ),
    ).toThrow();
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("old");
    expect(readdirSync(join(dir, ".."))).toEqual(["out"]);
  });
});
