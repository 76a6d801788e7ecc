/**
 * The pipeline's layering, checked on the sources: model → rules → ir → plan → emit → runtime →
 * report → cli, each layer importing only those before it (and util, below them all); mathjs only where
 * formulas are derived (src/rules), syntax-checked (src/model/schema.ts) or, deliberately apart from
 * the compiler, turned into the tfjs oracle (src/runtime/oracle).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..", "src");
const ORDER = ["util", "model", "rules", "ir", "plan", "emit", "runtime", "report", "cli"] as const;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const layerOf = (file: string): string => relative(SRC, file).split("/")[0]!;

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

it("every layer imports only the layers before it", () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = layerOf(file);
    const rank = ORDER.indexOf(layer as (typeof ORDER)[number]);
    if (rank < 0) continue; // src/cli/main.ts etc. live in known layers; stray top-level files are not layered
    for (const spec of imports(file)) {
      if (!spec.startsWith(".")) continue;
      const target = layerOf(resolve(dirname(file), spec));
      const targetRank = ORDER.indexOf(target as (typeof ORDER)[number]);
      if (targetRank > rank) violations.push(`${relative(SRC, file)} imports ${spec} (${layer} → ${target})`);
    }
  }
  expect(violations).toEqual([]);
});

it("mathjs is imported only by the rules, the model's formula check and the independent oracle", () => {
  const allowed = (rel: string): boolean => rel.startsWith("rules/") || rel === "model/schema.ts" || rel.startsWith("runtime/oracle/");
  const users = files(SRC)
    .filter((f) => imports(f).includes("mathjs"))
    .map((f) => relative(SRC, f));
  expect(users.length).toBeGreaterThan(0);
  expect(users.filter((u) => !allowed(u))).toEqual([]);
});

it("the runtime and the report reach the compiler (ir, plan, rules, emit) only through src/emit/facade.ts", () => {
  const compiler = new Set(["ir", "plan", "rules", "emit"]);
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = layerOf(file);
    if (layer !== "runtime" && layer !== "report") continue;
    for (const spec of imports(file)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (compiler.has(layerOf(target)) && relative(SRC, target) !== "emit/facade.js")
        violations.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  expect(violations).toEqual([]);
});
