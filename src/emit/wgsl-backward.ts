/**
 * The per-point reverse sweep of the curvature loss, `backward{A,B}`: one invocation per point, every
 * jet column of a layer in private arrays (the scheme of the per-point forward kernels in wgsl.ts;
 * the tiled kernels of wgsl-tiled.ts are the scalable path). Per point: Gram entries from psi,
 * Ḡ = ∂(lbar·R²√det g)/∂G; then the output layer unit by unit: Ψ̄[c] = Σ_{c'} Ḡ_{cc'} Ψ[c'] (×2 on
 * the diagonal), its activation adjoint Ā (written to `adj`) and X̄ += Ā·W[k] (Ψ̄ is never held);
 * then each hidden layer from the last: Ā_l = activation adjoint(a_l, Ȳ_l), written to `adj`, and
 * X̄_l = W_lᵀ Ā_l; finally z̄ from X̄_0. Points with det g ≤ cfg.detEps get zero adjoints.
 */
import type { ScalarBlock } from "../ir/block.js";
import type { Route } from "../ir/kernels.js";
import { decoderProgram, type DecoderProgram } from "../ir/program.js";
import { adjoints } from "../ir/reverse.js";
import type { Model } from "../model/types.js";
import { printBlock } from "./printer.js";
import { uniformLayout } from "./wgsl-layout.js";
import { activationAdjointBlock, denseBackward, latentAdjoint, layersOf } from "./wgsl-reverse.js";
import {
  curvatureAssembly,
  gramLoop,
  kernelSource,
  livenessLines,
  pointMain,
  region,
  routeOrder,
  scratchFloats,
  tapeAt,
  tapeLayout,
  tapeWrite,
  u32,
  wgslDialect,
  zAt,
  type TapeLayout,
  type WgslBinding,
  type WgslKernel,
} from "./wgsl.js";

const indent = (lines: readonly string[], by = "  "): string[] => lines.map((l) => by + l);

export function backwardBindings(): WgslBinding[] {
  return [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "read-only-storage" },
    { binding: 2, name: "z", kind: "read-only-storage" },
    { binding: 3, name: "tape", kind: "read-only-storage" },
    { binding: 4, name: "adj", kind: "storage" },
    { binding: 5, name: "zbar", kind: "storage" },
  ];
}

/** The backward kernel's uniform: the per-point one plus the degeneracy threshold on det g. */
export const BACKWARD_UNIFORM = uniformLayout({ n: "u32", base: "u32", total: "u32", lbar: "f32", detEps: "f32" });

type Assembly = ReturnType<typeof curvatureAssembly>;

export function requireMlp(model: Model): void {
  if (model.decoder.type !== "mlp")
    throw new Error(`model "${model.name}": gradients need an MLP decoder (an analytic decoder has no parameters)`);
}

/**
 * Gram entries from the recorded output jet, the point's liveness, and Gb{c1}_{c2} = Ḡ (doubled on
 * the diagonal) by reverse mode through the assembly block, seeded with lbar.
 */
function gramAdjointHead(p: DecoderProgram, tape: TapeLayout, asm: Assembly): string[] {
  const b = asm.block.b;
  const psi = region(tape.tape, "psi");
  const gbar = adjoints(
    b,
    new Map([[asm.loss, b.input("lbar")]]),
    asm.gramPairs.map(([c1, c2]) => b.findInput(`G${c1}_${c2}`)!),
  );
  const gbarBlock: ScalarBlock = {
    b,
    inputs: [...asm.block.inputs, "lbar"],
    outputs: gbar.map((node, i) => ({ name: `Gbar${asm.gramPairs[i]![0]}_${asm.gramPairs[i]![1]}`, node })),
  };
  // Degenerate points (det g ≤ cfg.detEps) carry no weight, and 1 is added to their g_ii first so
  // that the adjoint stays finite there (the trainer's convention, losses.ts).
  const metricPairs = new Set(Array.from({ length: p.latentDim }, (_, i) => `G${1 + i}_${1 + i}`));
  const printedG = printBlock(
    gbarBlock,
    wgslDialect,
    (name) => (name === "lbar" ? "lbarp" : metricPairs.has(name) ? `(${name} + shift)` : name),
    "g_",
  );
  return [
    "// Gram entries from the recorded output jet",
    ...gramLoop(asm.gramPairs, p.outputDim, (c) => tapeAt("tape", psi, c, "k")),
    ...livenessLines(asm),
    "let lbarp = select(0.0, cfg.lbar, live);",
    "// Ḡ = ∂(lbar · R²√det g)/∂G (reverse mode through the assembly)",
    ...printedG.statements,
    ...asm.gramPairs.map(([c1, c2], i) => `let Gb${c1}_${c2} = ${c1 === c2 ? `2.0 * ${printedG.outputs[i]}` : printedG.outputs[i]};`),
  ];
}

/**
 * The output layer, fused: per output unit k, Ψ̄[c][k] = Σ_{pairs ∋ c} Ḡ · Ψ[other][k], its
 * activation's adjoint Ā[c][k] (written to adj), and X̄[c][:] += Ā[c][k] · W[k][:] into `acc`.
 */
function outputLayerBackward(p: DecoderProgram, tape: TapeLayout, asm: Assembly, acc: string): string[] {
  const C = p.columns.length;
  const psi = region(tape.tape, "psi");
  const layers = layersOf(p);
  const { dense, act } = layers[layers.length - 1]!;
  const { fanIn, wOffset } = dense.layer;
  const ar = region(tape.adj, `abar${dense.index}`);
  const used = [...new Set(asm.gramPairs.flat())].sort((x, y) => x - y);
  const loop: string[] = used.map((c) => `let P${c} = ${tapeAt("tape", psi, c, "k")};`);
  for (let c = 0; c < C; c++) {
    const terms = asm.gramPairs.flatMap(([c1, c2]) => (c1 === c ? [`Gb${c1}_${c2} * P${c2}`] : c2 === c ? [`Gb${c1}_${c2} * P${c1}`] : []));
    loop.push(`let yb${c} = ${terms.length ? terms.join(" + ") : "0.0"};`);
  }
  // Columns whose Ā is identically 0 add nothing to X̄.
  const zero = new Set<number>();
  if (act.identity) {
    for (let c = 0; c < C; c++) {
      loop.push(`let abar${c}_ = yb${c};`);
      if (!used.includes(c)) zero.add(c);
    }
  } else {
    const printed = printBlock(activationAdjointBlock(act), wgslDialect, (name) => name, `b${dense.index}_`);
    const a = region(tape.tape, `a${dense.index}`);
    for (let c = 0; c < C; c++) loop.push(`let a${c} = ${tapeAt("tape", a, c, "k")};`);
    loop.push(...printed.statements);
    printed.outputs.forEach((expr, c) => {
      loop.push(`let abar${c}_ = ${expr};`);
      if (expr === wgslDialect.literal(0)) zero.add(c);
    });
  }
  for (let c = 0; c < C; c++) loop.push(`${tapeAt("adj", ar, c, "k")} = abar${c}_;`);
  const live = Array.from({ length: C }, (_, c) => c).filter((c) => !zero.has(c));
  loop.push(
    `for (var i = 0u; i < ${u32(fanIn)}; i++) {`,
    `  let w = theta[${u32(wOffset)} + k * ${u32(fanIn)} + i];`,
    ...live.map((c) => `  ${acc}[${u32(c * fanIn)} + i] = fma(w, abar${c}_, ${acc}[${u32(c * fanIn)} + i]);`),
    "}",
  );
  return [
    `// output layer ${dense.index}${act.identity ? " (linear)" : `, ${act.activation}`}: Ψ̄ = ∂L/∂Ψ, Ā, and X̄ = WᵀĀ accumulated unit by unit`,
    `for (var k = 0u; k < ${u32(dense.layer.units)}; k++) {`,
    ...indent(loop),
    "}",
  ];
}

/** The hidden layers from the last down, ping-ponging X̄ between jA and jB; returns where X̄_0 ends. */
function hiddenLayersBackward(p: DecoderProgram, tape: TapeLayout, start: string): { lines: string[]; xbar: string } {
  const C = p.columns.length;
  const layers = layersOf(p);
  const lines: string[] = [];
  let cur = start;
  let other = start === "jA" ? "jB" : "jA";
  for (let l = layers.length - 2; l >= 0; l--) {
    const { dense, act } = layers[l]!;
    const units = dense.layer.units;
    const ar = region(tape.adj, `abar${l}`);
    if (act.identity) lines.push(`// layer ${l}: linear, Ā = Ȳ`, ...tapeWrite("adj", cur, ar, C));
    else {
      const printed = printBlock(activationAdjointBlock(act), wgslDialect, (name) => name, `b${l}_`);
      const a = region(tape.tape, `a${l}`);
      const loop: string[] = [];
      for (let c = 0; c < C; c++) loop.push(`let a${c} = ${tapeAt("tape", a, c, "k")};`, `let yb${c} = ${cur}[${u32(c * units)} + k];`);
      loop.push(...printed.statements);
      printed.outputs.forEach((expr, c) =>
        loop.push(`let abar${c}_ = ${expr};`, `${cur}[${u32(c * units)} + k] = abar${c}_;`, `${tapeAt("adj", ar, c, "k")} = abar${c}_;`),
      );
      lines.push(
        `// layer ${l}: adjoint of the ${act.activation} jet rule (reverse mode through the IR)`,
        `for (var k = 0u; k < ${u32(units)}; k++) {`,
        ...indent(loop),
        "}",
      );
    }
    lines.push(...denseBackward(cur, other, dense, C));
    [cur, other] = [other, cur];
  }
  return { lines, xbar: cur };
}

/** `backward{A,B}`: per point, the reverse sweep from the loss term to Ā_l of every layer and z̄. */
export function backwardKernel(model: Model, route: Route): WgslKernel {
  requireMlp(model);
  const p = decoderProgram(model, routeOrder(route));
  const C = p.columns.length;
  const d = p.latentDim;
  const tape = tapeLayout(p);
  const asm = curvatureAssembly(p, route);
  const hidden = hiddenLayersBackward(p, tape, "jA");
  const input = p.stages[0]!;
  const width = input.kind === "dense" ? input.layer.fanIn : input.width;
  const z = latentAdjoint(input, d, (c, u) => `${hidden.xbar}[${u32(c * width + u)}]`, "e_");
  const body = [
    `var jA: array<f32, ${scratchFloats(p)}>;`,
    `var jB: array<f32, ${scratchFloats(p)}>;`,
    ...gramAdjointHead(p, tape, asm),
    ...outputLayerBackward(p, tape, asm, "jA"),
    ...hidden.lines,
    input.kind === "coordinates"
      ? "// z̄: only the value column of the coordinate jet depends on z"
      : "// z̄ through the torus embedding (reverse mode through the IR)",
    ...(input.kind === "torus-embedding" ? Array.from({ length: d }, (_, i) => `let zin${i} = ${zAt(d, i)};`) : []),
    ...z.statements,
    ...z.zbar.map((expr, i) => `zbar[q * ${u32(d)} + ${u32(i)}] = ${expr};`),
  ];
  const R = route.toUpperCase();
  const name = `backward${R}`;
  const bindings = backwardBindings();
  const comments = [
    `Model "${model.name}": reverse sweep of L = lbar · Σ_points R²√det g (route ${R}, ${C} jet columns).`,
    `Reads the tape written by forward${R}; writes Ā_l to adj (${tape.adjRows} rows × n, ${tape.adj.map((r) => `${r.name}@${r.offset}`).join(", ")})`,
    `and ∂L/∂z to zbar (n × d at the batch index). Points with det g ≤ cfg.detEps get zero adjoints.`,
  ];
  return {
    name,
    description: `reverse sweep of R²√det g (route ${R}) to pre-activation adjoints and z̄`,
    code: kernelSource(`${name}: adjoint of the curvature loss (route ${R})`, comments, BACKWARD_UNIFORM, bindings, pointMain(body)),
    entryPoint: "main",
    workgroupSize: [64, 1, 1],
    bindings,
    uniform: BACKWARD_UNIFORM,
  };
}
