/**
 * The FMA micro-kernel of `ricci-gen bench --backend webgpu`: independent multiply-add chains per
 * invocation and nothing else, so that its rate is the adapter's f32 FMA ceiling as WGSL reaches it
 * (the yardstick the other kernels' GFLOP/s are read against, measured in the same run).
 */
import { uniformLayout } from "./wgsl-layout.js";
import { kernelSource, type WgslBinding, type WgslKernel } from "./wgsl.js";

export const FMA_CHAINS = 16;
export const FMA_WORKGROUP = 64;
export const FMA_UNIFORM = uniformLayout({ iterations: "u32", m: "f32", c: "f32" });

/** FLOPs of one dispatch: 2 per FMA. */
export const fmaFlops = (invocations: number, iterations: number): number => 2 * FMA_CHAINS * iterations * invocations;

export function fmaCeilingKernel(): WgslKernel {
  const K = FMA_CHAINS;
  const chains = Array.from({ length: K }, (_, k) => k);
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "out", kind: "storage" },
  ];
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
  return {
    name: "fmaCeiling",
    description: `${K} independent FMA chains per invocation: the adapter's f32 FMA ceiling`,
    code: kernelSource(
      "fmaCeiling: FMA throughput micro-kernel",
      [`${K} chains; out[i] keeps the chains live.`],
      FMA_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [FMA_WORKGROUP, 1, 1],
    bindings,
    uniform: FMA_UNIFORM,
  };
}
