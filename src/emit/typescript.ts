/**
 * TypeScript target: a float64 module of batched kernels, `kernels.ts`, built with ts-morph.
 * Each kernel takes (params, points, n) — flat parameters in ParamLayout order, n latent points
 * row-major — and returns one Float64Array per field, n × (field size) row-major.
 */
import { readFileSync } from "node:fs";
import { Project, StructureKind, VariableDeclarationKind, type FunctionDeclarationStructure, type OptionalKind } from "ts-morph";
import type { Kernel } from "../ir/kernels.js";
import type { DecoderProgram } from "../ir/program.js";
import { printBlock, type Dialect } from "./printer.js";

export const typescriptDialect: Dialect = {
  literal: (v) => {
    const s = Number.isInteger(v) ? v.toFixed(1) : String(v);
    return v < 0 ? `(${s})` : s;
  },
  call: (fn, arg) => `Math.${fn}(${arg})`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  declare: (name, expr) => `const ${name} = ${expr};`,
};

const template = (name: string): string =>
  readFileSync(new URL(`../../templates/typescript/${name}.ts`, import.meta.url), "utf8")
    .replace(/^\/\/.*\n/gm, "")
    .trim();

const F64 = "Float64Array";
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function scratchSize(p: DecoderProgram): number {
  const widths = p.stages.map((s) => (s.kind === "dense" ? s.layer.units : s.width));
  return p.columns.length * Math.max(p.latentDim, ...widths);
}

/** The functions computing the jets of Ψ at one point, for one program order. */
function decoderFunctions(p: DecoderProgram): OptionalKind<FunctionDeclarationStructure>[] {
  const C = p.columns.length;
  const fns: OptionalKind<FunctionDeclarationStructure>[] = [];
  const body: string[] = ["let X = s0;"];
  if (p.stages.some((s) => s.kind === "dense")) body.push("let Y = s1;");
  const zInput = (name: string): string => `z[zo + ${name.slice(1)}]!`;
  for (const stage of p.stages) {
    switch (stage.kind) {
      case "coordinates":
        body.push(
          `X.fill(0, 0, ${C * stage.width});`,
          `for (let i = 0; i < ${stage.width}; i++) {`,
          `  X[i] = z[zo + i]!;`,
          `  X[(1 + i) * ${stage.width} + i] = 1;`,
          `}`,
        );
        break;
      case "torus-embedding": {
        const printed = printBlock(stage.block, typescriptDialect, zInput);
        const name = `torusEmbeddingOrder${p.order}`;
        const writes = stage.block.outputs.map((o, i) => {
          const { unit: u, column: c } = o.index!;
          return `X[${c * stage.width + u}] = ${printed.outputs[i]};`;
        });
        fns.push({
          name,
          parameters: [
            { name: "z", type: F64 },
            { name: "zo", type: "number" },
            { name: "X", type: F64 },
          ],
          returnType: "void",
          statements: [...printed.statements, ...writes],
        });
        body.push(`${name}(z, zo, X);`);
        break;
      }
      case "dense": {
        const l = stage.layer;
        body.push(`dense(params, ${l.wOffset}, ${l.bOffset}, ${l.fanIn}, ${l.units}, ${C}, X, Y);`, "[X, Y] = [Y, X];");
        break;
      }
      case "activation": {
        if (stage.identity) break;
        const name = `activation${p.stages.indexOf(stage)}Order${p.order}`;
        const printed = printBlock(stage.block, typescriptDialect, (input) => `a${input.slice(1)}`);
        const reads = stage.block.inputs.map((input, c) => `const a${c} = X[${c} * units + u]!;`);
        const writes = printed.outputs.map((expr, c) => `X[${c} * units + u] = ${expr};`);
        fns.push({
          name,
          docs: [`${stage.activation} applied to the jet of every unit, in place.`],
          parameters: [
            { name: "X", type: F64 },
            { name: "units", type: "number" },
          ],
          returnType: "void",
          statements: [`for (let u = 0; u < units; u++) {`, ...[...reads, ...printed.statements, ...writes].map((s) => `  ${s}`), `}`],
        });
        body.push(`${name}(X, ${stage.width});`);
        break;
      }
      case "analytic": {
        const printed = printBlock(stage.block, typescriptDialect, zInput);
        stage.block.outputs.forEach((o, i) => {
          const { unit: k, column: c } = o.index!;
          printed.statements.push(`X[${c * stage.width + k}] = ${printed.outputs[i]};`);
        });
        body.push(...printed.statements);
        break;
      }
    }
  }
  body.push("return X;");
  fns.push({
    name: `decoderOrder${p.order}`,
    docs: [`Jets of Ψ up to order ${p.order} at point z[zo…]: column-major, ${C} columns × ${p.outputDim}.`],
    parameters: [
      { name: "params", type: F64 },
      { name: "z", type: F64 },
      { name: "zo", type: "number" },
      { name: "s0", type: F64 },
      { name: "s1", type: F64 },
    ],
    returnType: F64,
    statements: body,
  });
  return fns;
}

function kernelFunction(k: Kernel): OptionalKind<FunctionDeclarationStructure> {
  const p = k.program;
  const D = p.outputDim;
  const d = p.latentDim;
  const fields = k.output.kind === "jets" ? [k.output.field] : k.output.fields;
  const loop: string[] = [`const P = decoderOrder${p.order}(params, points, p * ${d}, s0, s1);`];
  if (k.output.kind === "jets") {
    const order = k.output.order;
    const first = p.columns.findIndex((c) => c.length === order);
    const count = p.columns.length - first;
    const f = k.output.field.name;
    loop.push(
      `for (let k = 0; k < ${D}; k++) {`,
      `  for (let j = 0; j < ${count}; j++) ${f}[(p * ${D} + k) * ${count} + j] = P[(${first} + j) * ${D} + k]!;`,
      `}`,
    );
  } else {
    const out = k.output;
    out.gramPairs.forEach(([c1, c2]) => loop.push(`const G${c1}_${c2} = gram(P, ${c1}, ${c2}, ${D});`));
    const printed = printBlock(out.block, typescriptDialect, (name) => name);
    loop.push(...printed.statements);
    let i = 0;
    for (const f of out.fields) {
      const n = size(f.shape);
      for (let j = 0; j < n; j++) loop.push(`${f.name}[p * ${n} + ${j}] = ${printed.outputs[i++]};`);
    }
  }
  const scratch = scratchSize(p);
  return {
    name: k.name,
    isExported: true,
    docs: [
      `${k.description}.${fields.map((f) => `\n@returns ${f.name} — ${f.description}, [n${f.shape.map((s) => `, ${s}`).join("")}]`).join("")}`,
    ],
    parameters: [
      { name: "params", type: F64 },
      { name: "points", type: F64 },
      { name: "n", type: "number" },
    ],
    returnType: `{ ${fields.map((f) => `${f.name}: ${F64}`).join("; ")} }`,
    statements: [
      `const s0 = new Float64Array(${scratch});`,
      `const s1 = new Float64Array(${scratch});`,
      ...fields.map((f) => `const ${f.name} = new Float64Array(n * ${size(f.shape)});`),
      `for (let p = 0; p < n; p++) {`,
      ...loop.map((s) => `  ${s}`),
      `}`,
      `return { ${fields.map((f) => f.name).join(", ")} };`,
    ],
  };
}

export interface TypeScriptModuleInfo {
  name: string;
  sourceHash: string;
  generator: string;
}

/** The whole module's text. Deterministic: the same kernels give the same bytes. */
export function emitTypeScript(kernels: readonly Kernel[], info: TypeScriptModuleInfo): string {
  const first = kernels[0];
  if (!first) throw new Error("no kernels to emit");
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile("kernels.ts", "");
  file.addStatements([
    `// Generated by ${info.generator} from model "${info.name}" (sha256 ${info.sourceHash}).`,
    `// Do not edit: run \`ricci-gen compile\` instead.`,
    ...(first.program.stages.some((s) => s.kind === "dense") ? [template("dense")] : []),
    template("gram"),
  ]);
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [
      {
        name: "model",
        initializer:
          JSON.stringify({
            name: info.name,
            latentDim: first.program.latentDim,
            outputDim: first.program.outputDim,
            paramCount: first.program.paramCount,
            sourceHash: info.sourceHash,
          }) + " as const",
      },
    ],
  });
  const seenOrders = new Set<number>();
  for (const k of kernels) {
    if (seenOrders.has(k.program.order)) continue;
    seenOrders.add(k.program.order);
    for (const fn of decoderFunctions(k.program)) file.addFunction({ kind: StructureKind.Function, ...fn });
  }
  for (const k of kernels) file.addFunction({ kind: StructureKind.Function, ...kernelFunction(k) });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["Every kernel's fields and their per-point shapes."],
    declarations: [
      {
        name: "kernelFields",
        initializer:
          JSON.stringify(
            Object.fromEntries(
              kernels.map((k) => [
                k.name,
                (k.output.kind === "jets" ? [k.output.field] : k.output.fields).map((f) => ({ name: f.name, shape: f.shape })),
              ]),
            ),
          ) + " as const",
      },
    ],
  });
  return file.getFullText();
}
