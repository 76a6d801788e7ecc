/**
 * Variants of one tiled forward product, Y_c = W X_c for the C jet columns of n points, timed on the
 * WebGPU adapter (docs/engines.md, "What bounds the WGSL products on lavapipe"). Operands are
 * point-fastest like the tapes; every variant but `constant` is checked against a float64 product.
 *
 *   npx tsx scripts/wgsl-product-variants.ts            # the TorusAE's 256 → 512 layer, 6 columns, 256 points
 *   K=512 U=784 C=6 N=256 npx tsx scripts/wgsl-product-variants.ts staged storage8
 *
 * `constant` reads the weights at constant indices: a wrong result, timed as the bound that loads
 * which the compiler treats as uniform would allow.
 */
import { createStorageBuffer, readF32 } from "../src/runtime/webgpu/buffers.js";
import { acquireGpu } from "../src/runtime/webgpu/device.js";

const ctx = await acquireGpu({ features: ["subgroups"] });
const { device } = ctx;
const subgroups = device.features.has("subgroups");

const n = Number(process.env["N"] ?? 256);
const K = Number(process.env["K"] ?? 256);
const U = Number(process.env["U"] ?? 512);
const C = Number(process.env["C"] ?? 6);
const L = 64;
const range = (m: number): number[] => Array.from({ length: m }, (_, i) => i);
const random = (length: number): Float32Array => Float32Array.from({ length }, () => Math.random() - 0.5);
const W = random(U * K);
const X = random(C * K * n);
const Wt = new Float32Array(U * K);
for (let u = 0; u < U; u++) for (let k = 0; k < K; k++) Wt[k * U + u] = W[u * K + k]!;

type Operand = "storage" | "texture";
interface Variant {
  code: string;
  units: number;
  weights: Float32Array;
  operand: Operand;
  checked: boolean;
}

const decl = (weight: string, operand: Operand): string =>
  [
    `@group(0) @binding(0) var<storage, read> ${weight};`,
    operand === "texture" ? "@group(0) @binding(1) var Xt: texture_2d<f32>;" : "@group(0) @binding(1) var<storage, read> X: array<f32>;",
    "@group(0) @binding(2) var<storage, read_write> Y: array<f32>;",
  ].join("\n");

/** One point per invocation × T units × C columns in registers; `load(m)` gives unit m's weight at k. */
function product(T: number, o: { head: string; pre?: string; load: (m: number) => string; operand?: Operand; step?: string[] }): string {
  const x = (c: number): string =>
    o.operand === "texture" ? `textureLoad(Xt, vec2u(pp, ${c * K}u + k), 0).x` : `X[(${c * K}u + k) * ${n}u + pp]`;
  return `${o.head}
@compute @workgroup_size(${L}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let p = wg.x * ${L}u + lane; let pp = min(p, ${n - 1}u); let o0 = wg.y * ${T}u;
  ${range(T)
    .flatMap((m) => range(C).map((c) => `var acc${m}_${c} = 0.0;`))
    .join(" ")}
  ${o.pre ?? ""}
  for (var k = 0u; k < ${K}u; k++) {
    ${(o.step ?? []).join("\n    ")}
    ${range(C)
      .map((c) => `let x${c} = ${x(c)};`)
      .join(" ")}
    ${range(T)
      .map((m) => `let w${m} = ${o.load(m)};`)
      .join(" ")}
    ${range(T)
      .flatMap((m) => range(C).map((c) => `acc${m}_${c} = fma(w${m}, x${c}, acc${m}_${c});`))
      .join(" ")}
  }
  if (p < ${n}u) { ${range(T)
    .flatMap((m) => range(C).map((c) => `if (o0 + ${m}u < ${U}u) { Y[(${c * U}u + o0 + ${m}u) * ${n}u + p] = acc${m}_${c}; }`))
    .join(" ")} }
}`;
}

const row = (m: number): string => `min(o0 + ${m}u, ${U - 1}u)`;

/** The shipped scheme (wgsl-tiled.ts): the weight tile staged in workgroup memory, TK inputs at a time. */
function stagedProduct(T: number): string {
  const TK = Math.min(K, Math.floor(2048 / T));
  return `${decl("W: array<f32>", "storage")}
var<workgroup> Ws: array<f32, ${TK * T}>;
@compute @workgroup_size(${L}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let p = wg.x * ${L}u + lane; let pp = min(p, ${n - 1}u); let o0 = wg.y * ${T}u;
  ${range(T)
    .flatMap((m) => range(C).map((c) => `var acc${m}_${c} = 0.0;`))
    .join(" ")}
  for (var k0 = 0u; k0 < ${K}u; k0 += ${TK}u) {
    for (var e = lane; e < ${TK * T}u; e += ${L}u) {
      let r = o0 + e % ${T}u; let kw = k0 + e / ${T}u;
      Ws[e] = select(0.0, W[min(r, ${U - 1}u) * ${K}u + min(kw, ${K - 1}u)], r < ${U}u && kw < ${K}u);
    }
    workgroupBarrier();
    let kEnd = min(${TK}u, ${K}u - k0);
    for (var kk = 0u; kk < kEnd; kk++) {
      let k = k0 + kk;
      ${range(C)
        .map((c) => `let x${c} = X[(${c * K}u + k) * ${n}u + pp];`)
        .join(" ")}
      ${range(T)
        .map((m) => `let w${m} = Ws[kk * ${T}u + ${m}u];`)
        .join(" ")}
      ${range(T)
        .flatMap((m) => range(C).map((c) => `acc${m}_${c} = fma(w${m}, x${c}, acc${m}_${c});`))
        .join(" ")}
    }
    workgroupBarrier();
  }
  if (p < ${n}u) { ${range(T)
    .flatMap((m) => range(C).map((c) => `if (o0 + ${m}u < ${U}u) { Y[(${c * U}u + o0 + ${m}u) * ${n}u + p] = acc${m}_${c}; }`))
    .join(" ")} }
}`;
}
const variants: Record<string, () => Variant> = {
  staged: () => ({
    code: stagedProduct(Math.max(1, Math.min(16, Math.floor(64 / C)))),
    units: Math.max(1, Math.min(16, Math.floor(64 / C))),
    weights: W,
    operand: "storage",
    checked: true,
  }),
  storage8: () => ({
    code: product(8, { head: decl("W: array<f32>", "storage"), load: (m) => `W[${row(m)} * ${K}u + k]` }),
    units: 8,
    weights: W,
    operand: "storage",
    checked: true,
  }),
  storage16: () => ({
    code: product(16, { head: decl("W: array<f32>", "storage"), load: (m) => `W[${row(m)} * ${K}u + k]` }),
    units: 16,
    weights: W,
    operand: "storage",
    checked: true,
  }),
  vec4: () => ({
    code: product(8, {
      head: decl("W4: array<vec4<f32>>", "storage"),
      step: [`let wa = W4[(k * ${U}u + o0) / 4u];`, `let wb = W4[(k * ${U}u + o0) / 4u + 1u];`],
      load: (m) => `${m < 4 ? "wa" : "wb"}[${m % 4}]`,
    }),
    units: 8,
    weights: Wt,
    operand: "storage",
    checked: U % 8 === 0,
  }),
  texture: () => ({
    code: product(8, { head: decl("W: array<f32>", "texture"), operand: "texture", load: (m) => `W[${row(m)} * ${K}u + k]` }),
    units: 8,
    weights: W,
    operand: "texture",
    checked: true,
  }),
  constant: () => ({
    code: product(16, { head: decl("W: array<f32>", "storage"), load: (m) => `W[${m}u]` }),
    units: 16,
    weights: W,
    operand: "storage",
    checked: false,
  }),
};
/** Lane j of each group of 8 loads the weight of k0 + j; subgroupBroadcast hands it to every lane. */
function subgroupProduct(T: number): string {
  const step = (j: number): string[] => [
    ...range(C).map((c) => `let x${j}_${c} = X[(${c * K}u + min(k0 + ${j}u, ${K - 1}u)) * ${n}u + pp];`),
    ...range(T).map((m) => `let w${j}_${m} = subgroupBroadcast(wl${m}, ${j}u);`),
    ...range(T).flatMap((m) => range(C).map((c) => `acc${m}_${c} = fma(w${j}_${m}, x${j}_${c}, acc${m}_${c});`)),
  ];
  return `enable subgroups;
${decl("W: array<f32>", "storage")}
@compute @workgroup_size(${L}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sg: u32) {
  let p = wg.x * ${L}u + lane; let pp = min(p, ${n - 1}u); let o0 = wg.y * ${T}u;
  ${range(T)
    .flatMap((m) => range(C).map((c) => `var acc${m}_${c} = 0.0;`))
    .join(" ")}
  for (var k0 = 0u; k0 < ${K}u; k0 += 8u) {
    let kl = k0 + sg % 8u;
    ${range(T)
      .map((m) => `let wl${m} = select(0.0, W[${row(m)} * ${K}u + min(kl, ${K - 1}u)], kl < ${K}u);`)
      .join(" ")}
    ${range(8)
      .map((j) => step(j).join(" "))
      .join("\n    ")}
  }
  if (p < ${n}u) { ${range(T)
    .flatMap((m) => range(C).map((c) => `if (o0 + ${m}u < ${U}u) { Y[(${c * U}u + o0 + ${m}u) * ${n}u + p] = acc${m}_${c}; }`))
    .join(" ")} }
}`;
}
if (subgroups) variants["subgroup"] = () => ({ code: subgroupProduct(16), units: 16, weights: W, operand: "storage", checked: true });

const storage = (data: Float32Array): GPUBuffer => createStorageBuffer(device, data);

function texture(data: Float32Array, width: number, height: number): GPUTextureView {
  const t = device.createTexture({
    size: [width, height],
    format: "r32float",
    usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
  });
  device.queue.writeTexture({ texture: t }, data, { bytesPerRow: width * 4 }, [width, height]);
  return t.createView();
}

/** Best of five dispatches, in ms, after one warm-up; Y afterwards. */
async function time(v: Variant): Promise<{ ms: number; y: Float32Array }> {
  const module = device.createShaderModule({ code: v.code });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === "error");
  if (errors.length) throw new Error(errors.map((m) => `${m.lineNum}: ${m.message}`).join("\n"));
  const pipeline = await device.createComputePipelineAsync({ layout: "auto", compute: { module, entryPoint: "main" } });
  const y = storage(new Float32Array(C * U * n).fill(NaN));
  const x = v.operand === "texture" ? texture(X, n, C * K) : { buffer: storage(X) };
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: storage(v.weights) } },
      { binding: 1, resource: x },
      { binding: 2, resource: { buffer: y } },
    ],
  });
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / L), Math.ceil(U / v.units));
    pass.end();
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await once();
  let ms = Infinity;
  for (let r = 0; r < 5; r++) ms = Math.min(ms, await once());
  return { ms, y: await readF32(device, y) };
}

/** Largest error over a sample of outputs against the float64 product. */
function worstError(y: Float32Array): number {
  let worst = 0;
  for (let t = 0; t < 200; t++) {
    const [c, u, p] = [t % C, (t * 37) % U, (t * 91) % n];
    let s = 0;
    for (let k = 0; k < K; k++) s += W[u * K + k]! * X[(c * K + k) * n + p]!;
    worst = Math.max(worst, Math.abs(y[(c * U + u) * n + p]! - s));
  }
  return worst;
}

console.log(`${ctx.describe()}: ${K} → ${U}, ${C} columns, ${n} points`);
const wanted = process.argv.slice(2);
for (const [name, make] of Object.entries(variants)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const v = make();
  const { ms, y } = await time(v);
  const gflops = (2 * C * K * U * n) / (ms * 1e6);
  const check = v.checked ? `max error ${worstError(y).toExponential(1)}` : "not a product (the bound)";
  console.log(`${name.padEnd(10)} ${ms.toFixed(1).padStart(8)} ms ${gflops.toFixed(2).padStart(7)} GFLOP/s  ${check}`);
}
ctx.destroy();
process.exit(0);
