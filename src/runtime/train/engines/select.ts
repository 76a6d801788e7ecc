/**
 * Choosing the step engine for `backend`:
 *   onnx                  → OnnxEngine (ONNX Runtime CPU); tfjs wasm evaluates and runs Adam
 *   cpu, wasm, tfjs-webgpu, tensorflow → TfjsEngine on that tfjs backend
 *   webgpu                → the generated WGSL kernels (gpu-trainer.ts)
 *   auto                  → webgpu on a hardware GPU adapter when it supports the config, else onnx
 */
import { UserError } from "../../../util/errors.js";
import type { Model } from "../../../model/types.js";
import { resolveBackend } from "../../webgpu/backend.js";
import type { GpuContext } from "../../webgpu/device.js";
import { useBackend } from "../backend.js";
import type { TrainConfig } from "../config.js";
import { GpuTrainStep, gpuUnsupported, selectTrainingBackend } from "../gpu-trainer.js";
import type { Session } from "../session.js";
import { TfjsEngine, type Optimisers, type StepEngine, type StepInput, type StepResult } from "./engine.js";
import { OnnxEngine } from "./onnx-engine.js";
import { threadCount } from "../../onnx/ort.js";

export interface EngineChoice {
  kind: "onnx" | "tfjs" | "webgpu";
  name: string;
  gpu: GpuContext | null;
}

/** Resolve the backend and initialise tfjs (which every engine uses for evaluation). */
export async function chooseEngine(config: TrainConfig, model?: Model): Promise<EngineChoice> {
  const requested = config.backend;
  if (requested === "onnx") {
    await useBackend("wasm");
    return { kind: "onnx", name: "onnx", gpu: null };
  }
  if (requested === "auto") {
    const unsupported = gpuUnsupported(config, model);
    const probe = unsupported ? null : await resolveBackend("auto", "wasm", 10_000);
    if (probe?.backend === "webgpu" && !probe.ctx.software) {
      await useBackend("webgpu");
      return { kind: "webgpu", name: `webgpu (auto: generated WGSL on ${probe.ctx.describe()})`, gpu: probe.ctx };
    }
    if (probe?.backend === "webgpu") probe.ctx.destroy();
    await useBackend("wasm");
    return { kind: "onnx", name: "onnx (auto: no hardware GPU adapter)", gpu: null };
  }
  const selected = await selectTrainingBackend(config, model);
  return { kind: selected.gpu ? "webgpu" : "tfjs", name: selected.name, gpu: selected.gpu };
}

/** The generated-WGSL path as a step engine: the device holds the parameters between syncs. */
class WebGpuEngine implements StepEngine {
  constructor(
    readonly name: string,
    private readonly gpuStep: GpuTrainStep,
    private readonly session: Session,
    private readonly optimisers: Optimisers,
  ) {}

  async begin(): Promise<void> {
    this.gpuStep.push(this.session, this.optimisers.model);
  }

  step(input: StepInput): Promise<StepResult> {
    return this.gpuStep.step(input.batch, input.n, input.anchor, input.measure, input.regularizer);
  }

  sync(): Promise<void> {
    return this.gpuStep.pull(this.session, this.optimisers.model);
  }

  destroy(): void {
    this.gpuStep.destroy();
  }
}

export async function createEngine(
  choice: EngineChoice,
  session: Session,
  config: TrainConfig,
  optimisers: Optimisers,
  threads?: number,
): Promise<StepEngine> {
  switch (choice.kind) {
    case "onnx": {
      const why = choice.name === "onnx" ? null : choice.name.replace(/^onnx /, "");
      return OnnxEngine.create(session, config, optimisers, threadCount(threads), why);
    }
    case "webgpu":
      if (!choice.gpu) throw new UserError("backend", "webgpu: no device");
      return new WebGpuEngine(
        choice.name,
        await GpuTrainStep.create(choice.gpu, session, config, optimisers.potential),
        session,
        optimisers,
      );
    case "tfjs":
      return new TfjsEngine(choice.name, session, config, optimisers);
  }
}
