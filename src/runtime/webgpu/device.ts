/**
 * Acquiring a WebGPU device in Node through Dawn (the `webgpu` package).
 *
 * Without a GPU, Dawn runs on Mesa's lavapipe (Vulkan on the CPU). Debian 12's own Mesa 22.3 is
 * rejected by Dawn; Mesa 25 from bookworm-backports works (see {@link GPU_INSTALL_HINT}).
 */
import { UserError } from "../../util/errors.js";

/** How to get a Vulkan driver Dawn accepts on a GPU-less Debian 12 machine (as root). */
export const GPU_INSTALL_HINT =
  "echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list" +
  " && apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1";

export interface GpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export interface GpuLoss {
  reason: GPUDeviceLostReason;
  message: string;
}

export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly info: GpuAdapterDescription;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader, or an adapter marked fallback). */
  readonly software: boolean;
  /** `shader-f16` is enabled on the device (WGSL `enable f16;`). */
  readonly f16: boolean;
  /** Set once the device is lost (including by {@link GpuContext.destroy}). */
  readonly lost: GpuLoss | null;
  /** One line naming the adapter, e.g. for logs and reports. */
  describe(): string;
  /** Throws if the device has been lost, with the reason Dawn gave. */
  assertAlive(): void;
  /** Destroys the device (unmapping its buffers); the context is unusable afterwards. */
  destroy(): void;
}

export interface AcquireGpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Limit for each of requestAdapter and requestDevice, in ms (default 20 s). */
  timeoutMs?: number;
  /** Features requested besides `shader-f16`, each where the adapter has it (e.g. "subgroups"). */
  features?: readonly string[];
}

/** Limits requested at the adapter's maximum: large storage buffers and big workgroups. */
const MAX_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
] as const satisfies readonly (keyof GPUSupportedLimits)[];

const SOFTWARE_ADAPTER = /lavapipe|llvmpipe|swiftshader|softpipe/i;

// Dawn tears itself down (and crashes pending work) once the object `create()` returned is
// garbage-collected, so it lives here for the life of the process. Node still exits normally.
let gpu: GPU | undefined;

async function navigatorGpu(): Promise<GPU> {
  if (gpu) return gpu;
  let mod: typeof import("webgpu");
  try {
    mod = await import("webgpu");
  } catch (e) {
    throw new UserError("webgpu", `cannot load Dawn (the 'webgpu' package): ${(e as Error).message}`);
  }
  // GPUBufferUsage, GPUMapMode, ... are browser globals; add the ones Node lacks.
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
  gpu = mod.create([]);
  return gpu;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError("webgpu", `${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function acquireGpu(opts: AcquireGpuOptions = {}): Promise<GpuContext> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const navGpu = await navigatorGpu();
  const adapter = await withTimeout(
    navGpu.requestAdapter({ powerPreference: opts.powerPreference ?? "high-performance" }),
    timeoutMs,
    "requestAdapter",
  );
  if (!adapter) {
    throw new UserError(
      "webgpu",
      "no WebGPU adapter: Dawn found no usable Vulkan driver (Debian 12's Mesa 22.3 lavapipe is rejected; " +
        `Mesa 25 works). Without a GPU, install lavapipe from bookworm-backports: ${GPU_INSTALL_HINT}`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of MAX_LIMITS) requiredLimits[k] = adapter.limits[k];
  // Names newer than @webgpu/types' GPUFeatureName (such as "subgroups") pass as they are.
  const requiredFeatures = ["shader-f16", ...(opts.features ?? [])].filter((f) => adapter.features.has(f)) as GPUFeatureName[];

  const device = await withTimeout(
    adapter.requestDevice({ requiredFeatures, requiredLimits, label: "ricci-gen" }),
    timeoutMs,
    "requestDevice",
  );
  return gpuContext(adapter, device);
}

/** The {@link GpuContext} of a device requested from `adapter` (in Node through Dawn, or in a browser). */
export function gpuContext(adapter: GPUAdapter, device: GPUDevice): GpuContext {
  const { vendor, architecture, device: deviceName, description } = adapter.info;
  const info = { vendor, architecture, device: deviceName, description };
  const software = adapter.info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(Object.values(info).join(" "));
  const f16 = device.features.has("shader-f16");
  let lost: GpuLoss | null = null;
  void device.lost.then((l) => {
    lost = { reason: l.reason, message: l.message };
  });
  const describe = () =>
    [info.description || info.device, `${info.vendor}/${info.architecture}`, software ? "software" : "hardware"].filter(Boolean).join(", ");

  return {
    adapter,
    device,
    info,
    software,
    f16,
    get lost() {
      return lost;
    },
    describe,
    assertAlive() {
      if (lost) throw new Error(`WebGPU device lost (${lost.reason}): ${lost.message}`);
    },
    destroy() {
      lost ??= { reason: "destroyed", message: "destroyed by its owner" };
      device.destroy();
    },
  };
}

export type GpuAvailability = { ok: true; ctx: GpuContext } | { ok: false; reason: string };

let shared: Promise<GpuAvailability> | undefined;

/**
 * A shared device for tests, or the reason there is none; never throws. A lost or destroyed
 * device is replaced on the next call.
 */
export async function gpuAvailability(): Promise<GpuAvailability> {
  const prev = shared && (await shared);
  if (!shared || (prev?.ok && prev.ctx.lost)) {
    shared = acquireGpu().then(
      (ctx): GpuAvailability => ({ ok: true, ctx }),
      (e: unknown): GpuAvailability => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }),
    );
  }
  return shared;
}
