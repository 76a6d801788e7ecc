/**
 * The `onnx` step engine: one compiled training-step graph (src/plan/step.ts, printed by
 * emit/onnx.ts) run by ONNX Runtime on the CPU. The graph returns the loss parts and the full flat
 * gradient; the update is the trainer's own Adam on the session's variables, as on the tfjs path, so
 * checkpoints and resume are the same on every engine.
 */
import * as tf from "@tensorflow/tfjs";
import { emitOnnx } from "../../../emit/onnx.js";
import { stepPlan, HYPER_INPUTS, type HyperInput, type StepGraph, type StepSpec } from "../../../plan/step.js";
import { createSession, loadOrt, type Ort, type OrtSession, type OrtTensor } from "../../onnx/ort.js";
import type { TrainConfig } from "../config.js";
import { PART_NAMES, type Parts, type Session } from "../session.js";
import { applyUpdate, type StepEngine, type StepInput, type StepResult, type Optimisers } from "./engine.js";

/** What the training step of a config computes, for the plan. */
export function stepSpec(config: TrainConfig, session: Session): StepSpec {
  const l = config.loss;
  const curvature = l.curv > 0;
  return {
    model: session.model,
    torus: session.torus,
    curvature,
    route: l.route,
    functional: l.functional,
    measure: config.measure.kind === "batch" ? "batch" : "points",
    potential: session.potentialModel,
    learnTau: config.tau.learn,
    uniformityMoments: l.uniformity.weight > 0 ? l.uniformity.moments : null,
    contractive: l.contractive.weight > 0 ? l.contractive.reduce : null,
    decoderContractive: l.decoderContractive.weight > 0 ? l.decoderContractive.reduce : null,
    isometry: l.isometry.weight > 0,
    volume: l.volume.weight > 0,
    conformality: l.conformality.weight > 0,
    partNames: PART_NAMES,
  };
}

function hyperValues(config: TrainConfig, n: number, measureWeight: number): Record<HyperInput, number> {
  const l = config.loss;
  return {
    lambdaRecon: l.recon,
    lambdaCurvSigned: l.curv * l.sign,
    lambdaUniformity: l.uniformity.weight,
    lambdaContractive: l.contractive.weight,
    contractiveDelta: l.contractive.delta,
    lambdaDecoderContractive: l.decoderContractive.weight,
    decoderContractiveDelta: l.decoderContractive.delta,
    lambdaIsometry: l.isometry.weight,
    lambdaVolume: l.volume.weight,
    lambdaConformality: l.conformality.weight,
    detEpsilon: l.detEpsilon,
    inverseMetricEpsilon: l.inverseMetricEpsilon,
    measureWeight,
    invBatch: 1 / n,
    logTauFixed: Math.log(config.tau.value),
  };
}

export class OnnxEngine implements StepEngine {
  name: string;

  private constructor(
    private readonly ort: Ort,
    private readonly ortSession: OrtSession,
    private readonly session: Session,
    private readonly config: TrainConfig,
    private readonly optimisers: Optimisers,
    private readonly paramInputs: string[],
    threads: number,
    /** The serialised graph, written into the run folder. */
    readonly graph: Uint8Array,
    /** The plan it was printed from (FLOP counts). */
    readonly lowered: StepGraph,
  ) {
    this.name = `onnx (ONNX Runtime CPU, ${threads} thread${threads === 1 ? "" : "s"})`;
  }

  static async create(session: Session, config: TrainConfig, optimisers: Optimisers, threads: number): Promise<OnnxEngine> {
    const ort = await loadOrt();
    const lowered = stepPlan(stepSpec(config, session));
    const graph = emitOnnx(lowered.plan, { name: "training_step", docString: lowered.description, outputs: lowered.outputs });
    const ortSession = await createSession(graph, threads, `the training step of ${config.name}`);
    return new OnnxEngine(ort, ortSession, session, config, optimisers, lowered.paramInputs, threads, graph, lowered);
  }

  async step(input: StepInput): Promise<StepResult> {
    const { ort, session } = this;
    const d = session.latentDim;
    const D = session.model.outputDim;
    const f32 = (data: Float32Array, dims: number[]): OrtTensor => new ort.Tensor("float32", data, dims);
    const weight = input.measure ? input.measure.weight : 1 / input.n;
    const feeds: Record<string, OrtTensor> = { x: f32(input.batch, [input.n, D]) };
    for (const [k, v] of Object.entries(hyperValues(this.config, input.n, weight))) feeds[k] = f32(Float32Array.of(v), []);
    for (const name of this.paramInputs) feeds[name] = f32(session.variable(name).dataSync() as Float32Array, [session.variable(name).size]);
    if (input.measure) feeds["points"] = f32(input.measure.points, [input.measure.n, d]);
    if (input.regularizer) {
      feeds["mixAlpha"] = f32(input.regularizer.alpha, [input.n, 1]);
      feeds["mixPartner"] = new ort.Tensor("int64", BigInt64Array.from(input.regularizer.perm, (i) => BigInt(i)), [input.n]);
    }
    const wanted = new Set(this.ortSession.inputNames);
    for (const k of Object.keys(feeds)) if (!wanted.has(k)) delete feeds[k];
    const out = await this.ortSession.run(feeds);
    const partValues = out["parts"]!.data as Float32Array;
    const parts = Object.fromEntries(PART_NAMES.map((k, i) => [k, partValues[i]!])) as Parts;
    let sq = 0;
    const grads = new Map<string, Float32Array>();
    for (const name of this.paramInputs) {
      const g = out[`grad_${name}`]!.data as Float32Array;
      for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
      grads.set(name, g);
    }
    const gradNorm = Math.sqrt(sq);
    if (Number.isFinite(parts.loss) && Number.isFinite(gradNorm))
      tf.tidy(() => applyUpdate(session, this.config, this.optimisers, new Map([...grads].map(([k, g]) => [k, tf.tensor1d(g)]))));
    return { parts, gradNorm };
  }

  async begin(): Promise<void> {}

  async sync(): Promise<void> {}

  destroy(): void {
    void this.ortSession.release();
  }
}

export { HYPER_INPUTS };
