/**
 * Choosing the compute backend (`--backend webgpu|wasm|cpu|auto`) and getting a WebGPU context
 * outside Node. `auto` takes WebGPU whenever an adapter exists (a software one included, said so)
 * and names the adapter; otherwise it falls back, saying why and how to get a driver.
 */
import { UserError } from "../../util/errors.js";
import { acquireGpu, GPU_INSTALL_HINT, gpuContext, type GpuContext } from "./device.js";

export const BACKEND_NAMES = ["webgpu", "wasm", "cpu", "auto"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export type BackendChoice =
  { backend: "webgpu"; ctx: GpuContext; /** One line for logs and reports. */ note: string } | { backend: "wasm" | "cpu"; note: string };

/**
 * Resolves a requested backend. "webgpu" without an adapter is a UserError carrying the reason and
 * the driver hint; "auto" without one falls back to `fallback` with the same reason in `note`.
 */
export async function resolveBackend(
  requested: BackendName,
  fallback: "wasm" | "cpu" = "wasm",
  timeoutMs = 20_000,
): Promise<BackendChoice> {
  if (requested === "wasm" || requested === "cpu") return { backend: requested, note: `backend ${requested} (requested)` };
  try {
    const ctx = await acquireGpu({ timeoutMs });
    const kind = ctx.software ? "a software adapter: expect CPU speed, not GPU speed" : "hardware";
    return {
      backend: "webgpu",
      ctx,
      note: `backend webgpu (${requested === "auto" ? "auto" : "requested"}) on ${ctx.describe()} — ${kind}${ctx.f16 ? ", shader-f16" : ""}`,
    };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (requested === "webgpu") {
      const hint = reason.includes(GPU_INSTALL_HINT) ? "" : ` Without a GPU, install lavapipe: ${GPU_INSTALL_HINT}`;
      throw new UserError("--backend webgpu", `${reason}.${hint} Or use --backend ${fallback}.`);
    }
    return { backend: fallback, note: `backend ${fallback} (auto: no WebGPU adapter — ${reason})` };
  }
}

/**
 * A {@link GpuContext} from the browser's `navigator.gpu` (the same kernels and runtime then run
 * unchanged). Not exercised by the Node test suite.
 */
export async function acquireBrowserGpu(powerPreference: GPUPowerPreference = "high-performance"): Promise<GpuContext> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu)
    throw new Error("this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome, Edge or Firefox, or the wasm backend");
  const adapter = await nav.gpu.requestAdapter({ powerPreference });
  if (!adapter)
    throw new Error(
      "navigator.gpu.requestAdapter() found no adapter: WebGPU may be disabled or blocklisted for this GPU; use the wasm backend",
    );
  const f16 = adapter.features.has("shader-f16");
  const device = await adapter.requestDevice({
    requiredFeatures: f16 ? ["shader-f16"] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    },
  });
  return gpuContext(adapter, device);
}
