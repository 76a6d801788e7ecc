/**
 * WGSL Adam update (Kingma & Ba; PyTorch's `torch.optim.Adam` conventions), one invocation per
 * parameter, in place on the parameter and moment buffers:
 *
 *   g ← ∇ + λ·θ (λ: L2 weight decay, 0 by default)
 *   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
 *   θ ← θ − lr · (m / bc1) / (√(v / bc2) + ε),   bc1 = 1 − β₁ᵗ, bc2 = 1 − β₂ᵗ (computed on the host).
 */
import { uniformLayout } from "./wgsl-layout.js";
import { kernelSource, type WgslBinding, type WgslKernel } from "./wgsl.js";

export const ADAM_UNIFORM = uniformLayout({
  count: "u32",
  lr: "f32",
  beta1: "f32",
  beta2: "f32",
  eps: "f32",
  bc1: "f32",
  bc2: "f32",
  weightDecay: "f32",
});

export const ADAM_WORKGROUP = 64;

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAM_DEFAULTS: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** The uniform values of step t (1-based). */
export function adamUniform(h: AdamHyper, count: number, t: number): Record<string, number> {
  return {
    count,
    lr: h.lr,
    beta1: h.beta1,
    beta2: h.beta2,
    eps: h.eps,
    bc1: 1 - h.beta1 ** t,
    bc2: 1 - h.beta2 ** t,
    weightDecay: h.weightDecay,
  };
}

export function adamKernel(): WgslKernel {
  const bindings: WgslBinding[] = [
    { binding: 0, name: "cfg", kind: "uniform" },
    { binding: 1, name: "theta", kind: "storage" },
    { binding: 2, name: "grad", kind: "read-only-storage" },
    { binding: 3, name: "m", kind: "storage" },
    { binding: 4, name: "v", kind: "storage" },
  ];
  const body = [
    `@compute @workgroup_size(${ADAM_WORKGROUP})`,
    "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {",
    `  let i = gid.x + gid.y * nwg.x * ${ADAM_WORKGROUP}u;`,
    "  if (i >= cfg.count) { return; }",
    "  let g = grad[i] + cfg.weightDecay * theta[i];",
    "  let mi = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;",
    "  let vi = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;",
    "  m[i] = mi;",
    "  v[i] = vi;",
    "  theta[i] = theta[i] - cfg.lr * (mi / cfg.bc1) / (sqrt(vi / cfg.bc2) + cfg.eps);",
    "}",
  ];
  return {
    name: "adam",
    description: "Adam update of the flat parameters, in place",
    code: kernelSource(
      "adam: θ ← θ − lr·m̂/(√v̂ + ε)",
      ["PyTorch conventions; bc1 = 1 − β₁ᵗ and bc2 = 1 − β₂ᵗ come from the host."],
      ADAM_UNIFORM,
      bindings,
      body,
    ),
    entryPoint: "main",
    workgroupSize: [ADAM_WORKGROUP, 1, 1],
    bindings,
    uniform: ADAM_UNIFORM,
  };
}

/** The same update in float64, for tests and CPU fallbacks. */
export function adamStepCpu(theta: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, h: AdamHyper, t: number): void {
  const bc1 = 1 - h.beta1 ** t;
  const bc2 = 1 - h.beta2 ** t;
  for (let i = 0; i < theta.length; i++) {
    const g = grad[i]! + h.weightDecay * theta[i]!;
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g * g;
    theta[i] = theta[i]! - (h.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + h.eps);
  }
}
