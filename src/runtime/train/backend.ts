/**
 * Choosing the tfjs backend: cpu (default, deterministic), wasm (@tensorflow/tfjs-backend-wasm),
 * webgpu (@tensorflow/tfjs-backend-webgpu plus a WebGPU adapter, optional) and tensorflow
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

/** Select and initialise a backend; returns the name tfjs reports. */
export async function useBackend(name: BackendName): Promise<string> {
  if (!quieted) {
    // Production mode skips tfjs's debug checks and its banner recommending tfjs-node (which cannot
    // install here); results are unchanged.
    tf.enableProdMode();
    quieted = true;
  }
  switch (name) {
    case "wasm":
      if (!(await importOptional("@tensorflow/tfjs-backend-wasm"))) throw new UserError("backend", "wasm needs @tensorflow/tfjs-backend-wasm (npm install it)");
      break;
    case "webgpu": {
      if (!(await importOptional("@tensorflow/tfjs-backend-webgpu")))
        throw new UserError("backend", "webgpu needs the optional package @tensorflow/tfjs-backend-webgpu, which is not installed; use cpu or wasm");
      if (!(await ensureNavigatorGpu())) throw new UserError("backend", "webgpu: no WebGPU implementation (navigator.gpu) in this process");
      break;
    }
    case "tensorflow":
      if (!(await importOptional("@tensorflow/tfjs-node-gpu")) && !(await importOptional("@tensorflow/tfjs-node")))
        throw new UserError("backend", "tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which are not installed; use cpu or wasm");
      break;
    case "cpu":
      break;
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new UserError("backend", `${name} failed to initialise: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== name) throw new UserError("backend", `${name} failed to initialise (no adapter or device?)`);
  return tf.getBackend();
}
