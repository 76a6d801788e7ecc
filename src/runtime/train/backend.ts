/**
 * Choosing the tfjs backend: cpu (default, deterministic), wasm (@tensorflow/tfjs-backend-wasm),
 * tfjs-webgpu (@tensorflow/tfjs-backend-webgpu plus a WebGPU adapter, optional) and tensorflow
 * (@tensorflow/tfjs-node[-gpu], optional). Optional packages are detected at run time and never
 * required; a missing one is a UserError naming `backend`.
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "../../util/errors.js";
import type { BackendName } from "./config.js";

const importOptional = async (specifier: string): Promise<Record<string, unknown> | null> => {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return null;
  }
};

/** Keeps Dawn's GPU object alive for the process (Dawn crashes if it is garbage-collected). */
let dawnGpu: unknown = null;

async function ensureNavigatorGpu(): Promise<boolean> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return true;
  const webgpu = await importOptional("webgpu");
  if (!webgpu || typeof webgpu["create"] !== "function") return false;
  Object.assign(globalThis, webgpu["globals"] ?? {});
  dawnGpu = (webgpu["create"] as (flags: string[]) => unknown)([]);
  if (nav) Object.defineProperty(nav, "gpu", { value: dawnGpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu: dawnGpu }, configurable: true });
  return true;
}

let quieted = false;

/**
 * Select and initialise a tfjs backend; returns the name tfjs reports. For "webgpu" and "auto" (the
 * generated-WGSL training path, gpu-trainer.ts) tfjs only evaluates and mirrors the parameters:
 * wasm if installed, else cpu.
 */
export async function useBackend(name: BackendName): Promise<string> {
  if (name === "webgpu" || name === "auto") return useBackend((await importOptional("@tensorflow/tfjs-backend-wasm")) ? "wasm" : "cpu");
  if (!quieted) {
    // Production mode skips tfjs's debug checks and its banner recommending tfjs-node (which cannot
    // install here); results are unchanged.
    tf.enableProdMode();
    quieted = true;
  }
  switch (name) {
    case "wasm":
      if (!(await importOptional("@tensorflow/tfjs-backend-wasm")))
        throw new UserError("backend", "wasm needs @tensorflow/tfjs-backend-wasm (npm install it)");
      break;
    case "tfjs-webgpu": {
      // navigator.gpu first: the package registers its backend at import only if WebGPU exists then.
      if (!(await ensureNavigatorGpu()))
        throw new UserError("backend", "tfjs-webgpu: no WebGPU implementation (navigator.gpu) in this process");
      if (!(await importOptional("@tensorflow/tfjs-backend-webgpu")))
        throw new UserError(
          "backend",
          "tfjs-webgpu needs the optional package @tensorflow/tfjs-backend-webgpu, which is not installed; use webgpu (the generated WGSL kernels), cpu or wasm",
        );
      break;
    }
    case "tensorflow":
      if (!(await importOptional("@tensorflow/tfjs-node-gpu")) && !(await importOptional("@tensorflow/tfjs-node")))
        throw new UserError(
          "backend",
          "tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which are not installed; use cpu or wasm",
        );
      break;
    case "cpu":
      break;
  }
  // tfjs's own name for its WebGPU backend.
  const tfName = name === "tfjs-webgpu" ? "webgpu" : name;
  let ok = false;
  try {
    ok = await tf.setBackend(tfName);
    await tf.ready();
  } catch (e) {
    throw new UserError("backend", `${name} failed to initialise: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== tfName) throw new UserError("backend", `${name} failed to initialise (no adapter or device?)`);
  return tf.getBackend();
}
