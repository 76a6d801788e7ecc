/**
 * The micro-kernels of `ricci-gen bench --backend webgpu`.
 *
 * fmaCeiling: independent multiply-add chains per invocation and nothing else, so that its rate is
 * the adapter's f32 FMA ceiling as WGSL reaches it (the yardstick the other kernels' GFLOP/s are
 * read against, measured in the same run).
 *
 * loadProbe: the inner loop of a tiled product (wgsl-tiled.ts) without its per-point operand loads:
 * a tile of weights, the same for every invocation, loaded each iteration and multiplied into
 * units × columns accumulators. "constant" loads them at constant indices, "loop" at indices
 * that depend on the loop counter, as every product's reduction loop does. The two rates differ
 * where the adapter's compiler treats only constant indices as uniform and loads anything else
 * lane by lane (lavapipe does); the loop rate then bounds every product below the ceiling.
 */
import { uniformLayout } from "./wgsl-layout.js";
import { cfgBinding, kernel, storage } from "./wgsl-tiled.js";
import type { WgslKernel } from "./wgsl.js";

export const FMA_CHAINS = 16;
export const FMA_WORKGROUP = 64;
export const FMA_UNIFORM = uniformLayout({ iterations: "u32", m: "f32", c: "f32" });

/** FLOPs of one dispatch: 2 per FMA. */
export const fmaFlops = (invocations: number, iterations: number): number => 2 * FMA_CHAINS * iterations * invocations;

export function fmaCeilingKernel(): WgslKernel {
  const K = FMA_CHAINS;
  const chains = Array.from({ length: K }, (_, k) => k);
  const body = [
    `@compute @workgroup_size(${FMA_WORKGROUP})`,
    "fn main(@builtin(global_invocation_id) gid: vec3u) {",
    "  let x = f32(gid.x) * 1.0e-7;",
    ...chains.map((k) => `  var a${k} = x + ${k}.0;`),
    "  for (var i = 0u; i < cfg.iterations; i++) {",
    // m and c come from the uniform, so the compiler cannot fold the chains.
    ...chains.map((k) => `    a${k} = fma(a${k}, cfg.m, cfg.c);`),
    "  }",
    `  out[gid.x] = ${chains.map((k) => `a${k}`).join(" + ")};`,
    "}",
  ];
  return kernel(
    "fmaCeiling",
    `${K} independent FMA chains per invocation: the adapter's f32 FMA ceiling`,
    [`${K} chains; out[i] keeps the chains live.`],
    FMA_UNIFORM,
    [cfgBinding, storage(1, "out", true)],
    body,
    FMA_WORKGROUP,
  );
}

export type ProbeIndexing = "constant" | "loop";
export const LOAD_PROBE_UNIFORM = uniformLayout({ iterations: "u32" });
/** Rows of weights the loop variant cycles through (its weight buffer holds this many tiles). */
export const LOAD_PROBE_ROWS = 64;

/** FLOPs of one probe dispatch: 2 per FMA. */
export const loadProbeFlops = (units: number, columns: number, invocations: number, iterations: number): number =>
  2 * units * columns * iterations * invocations;

export function loadProbeKernel(units: number, columns: number, indexing: ProbeIndexing): WgslKernel {
  const us = Array.from({ length: units }, (_, m) => m);
  const cs = Array.from({ length: columns }, (_, c) => c);
  const index = (m: number): string => (indexing === "constant" ? `${m}u` : `(i & ${LOAD_PROBE_ROWS - 1}u) * ${units}u + ${m}u`);
  const body = [
    `@compute @workgroup_size(${FMA_WORKGROUP})`,
    "fn main(@builtin(global_invocation_id) gid: vec3u) {",
    "  let x = f32(gid.x) * 1.0e-7;",
    ...cs.map((c) => `  let x${c} = x + ${c}.0;`),
    ...us.flatMap((m) => cs.map((c) => `  var a${m}_${c} = 0.0;`)),
    "  for (var i = 0u; i < cfg.iterations; i++) {",
    ...us.map((m) => `    let w${m} = w[${index(m)}];`),
    ...us.flatMap((m) => cs.map((c) => `    a${m}_${c} = fma(w${m}, x${c}, a${m}_${c});`)),
    "  }",
    `  out[gid.x] = ${us.flatMap((m) => cs.map((c) => `a${m}_${c}`)).join(" + ")};`,
    "}",
  ];
  return kernel(
    `loadProbe${indexing === "constant" ? "Constant" : "Loop"}`,
    `${units} weights at ${indexing === "constant" ? "constant" : "loop-dependent"} indices × ${columns} columns per iteration`,
    [`${units} × ${columns} accumulators; out[i] keeps them live.`],
    LOAD_PROBE_UNIFORM,
    [cfgBinding, storage(1, "w", false), storage(2, "out", true)],
    body,
    FMA_WORKGROUP,
  );
}
