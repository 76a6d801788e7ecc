/**
 * ONNX Runtime (npm `onnxruntime-node`, CPU execution provider), loaded on first use so that the
 * other backends never pay for it. A missing or broken install is a UserError naming the backend to
 * use instead; a graph that fails to load names the model and the file.
 */
import { availableParallelism } from "node:os";
import { UserError } from "../../util/errors.js";

export type Ort = typeof import("onnxruntime-node");
export type OrtSession = import("onnxruntime-node").InferenceSession;
export type OrtTensor = import("onnxruntime-node").Tensor;

let loaded: Ort | null = null;

export async function loadOrt(): Promise<Ort> {
  if (loaded) return loaded;
  try {
    loaded = (await import("onnxruntime-node")) as Ort;
  } catch (e) {
    throw new UserError(
      "backend",
      `onnx: ONNX Runtime (npm onnxruntime-node) could not be loaded (${(e as Error).message.split("\n")[0]}); use --backend wasm or cpu instead`,
    );
  }
  return loaded;
}

/** The thread count to use: `requested`, or every core. */
export function threadCount(requested?: number): number {
  return requested ?? availableParallelism();
}

/**
 * Execution providers: the CPU one, unless $RICCI_ORT_PROVIDERS lists others first (e.g. "cuda,cpu"
 * where onnxruntime-node was installed with its CUDA 12 binaries; see the README).
 */
export function executionProviders(): string[] {
  const listed = (process.env["RICCI_ORT_PROVIDERS"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return listed.length ? listed : ["cpu"];
}

/** An inference session for a serialised graph; `what` names it in errors (e.g. "the training step of swiss-roll (runs/x/step.onnx)"). */
export async function createSession(bytes: Uint8Array, threads: number, what: string): Promise<OrtSession> {
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      executionProviders: executionProviders(),
    });
  } catch (e) {
    throw new UserError(
      "backend",
      `onnx: ONNX Runtime could not load ${what}: ${(e as Error).message.split("\n")[0]}; use --backend wasm or cpu instead`,
    );
  }
}
