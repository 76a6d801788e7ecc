/**
 * The `onnx` step engine: one compiled training-step graph (src/plan/step.ts, printed by
 * emit/onnx.ts) run by ONNX Runtime on the CPU. The graph returns the loss parts and the full flat
 * gradient. The engine keeps the parameters as float32 arrays between syncs and applies the
 * trainer's Adam to them (adam.ts adamUpdateF32: the same float32 operations as Adam.apply), then
 * writes parameters and moments back into the session at checkpoints and evaluations, so checkpoints
 * and resume are the same on every engine.
 */
import { emitOnnx, stepPlan, HYPER_INPUTS, type HyperInput, type StepGraph, type StepSpec } from "../../../emit/facade.js";
import { createSession, loadOrt, type Ort, type OrtSession, type OrtTensor } from "../../onnx/ort.js";
import type { TrainConfig } from "../config.js";
import { PART_NAMES, type Parts, type Session } from "../session.js";
import { adamUpdateF32 } from "../adam.js";
import type { StepEngine, StepInput, StepResult, Optimisers } from "./engine.js";

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
    anchor: l.isomap.weight > 0,
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
    lambdaAnchor: l.isomap.weight,
    detEpsilon: l.detEpsilon,
    inverseMetricEpsilon: l.inverseMetricEpsilon,
    measureWeight,
    invBatch: 1 / n,
    logTauFixed: Math.log(config.tau.value),
  };
}

/** Float32 state of one optimiser: its step count and per-variable moments. */
interface HostAdam {
  t: number;
  slots: Map<string, { m: Float32Array; v: Float32Array }>;
}

export class OnnxEngine implements StepEngine {
  readonly name: string;
  /** The graph's inputs (feeds it does not take are dropped). */
  private readonly inputNames: ReadonlySet<string>;
  /** The parameters between syncs: the graph reads them and the float32 Adam updates them in place. */
  private readonly params = new Map<string, Float32Array>();
  private readonly adam: { model: HostAdam; potential: HostAdam } = {
    model: { t: 0, slots: new Map() },
    potential: { t: 0, slots: new Map() },
  };

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
    /** Why this engine was chosen (auto), for the run's log. */
    why: string | null,
  ) {
    this.name = `onnx (ONNX Runtime CPU, ${threads} thread${threads === 1 ? "" : "s"})${why ? `; ${why}` : ""}`;
    this.inputNames = new Set(ortSession.inputNames);
  }

  static async create(
    session: Session,
    config: TrainConfig,
    optimisers: Optimisers,
    threads: number,
    why: string | null = null,
  ): Promise<OnnxEngine> {
    const ort = await loadOrt();
    const lowered = stepPlan(stepSpec(config, session));
    const graph = emitOnnx(lowered.plan, { name: "training_step", docString: lowered.description, outputs: lowered.outputs });
    const ortSession = await createSession(graph, threads, `the training step of ${config.name}`);
    return new OnnxEngine(ort, ortSession, session, config, optimisers, lowered.paramInputs, threads, graph, lowered, why);
  }

  /** Take the session's parameters and the optimisers' state (fresh or resumed). */
  async begin(): Promise<void> {
    for (const [name, values] of Object.entries(this.session.snapshot())) this.params.set(name, values);
    for (const role of ["model", "potential"] as const) {
      const state = this.optimisers[role].state();
      this.adam[role] = {
        t: state.t,
        slots: new Map(Object.entries(state.slots).map(([k, s]) => [k, { m: Float32Array.from(s.m), v: Float32Array.from(s.v) }])),
      };
    }
  }

  async step(input: StepInput): Promise<StepResult> {
    const { ort, session } = this;
    const d = session.latentDim;
    const D = session.model.outputDim;
    const f32 = (data: Float32Array, dims: number[]): OrtTensor => new ort.Tensor("float32", data, dims);
    const weight = input.measure ? input.measure.weight : 1 / input.n;
    const feeds: Record<string, OrtTensor> = { x: f32(input.batch, [input.n, D]) };
    for (const [k, v] of Object.entries(hyperValues(this.config, input.n, weight))) feeds[k] = f32(Float32Array.of(v), []);
    for (const name of this.paramInputs) feeds[name] = f32(this.params.get(name)!, [this.params.get(name)!.length]);
    if (input.measure) feeds["points"] = f32(input.measure.points, [input.measure.n, d]);
    if (input.anchor) feeds["anchor"] = f32(input.anchor, [input.n, d]);
    if (input.regularizer) {
      feeds["mixAlpha"] = f32(input.regularizer.alpha, [input.n, 1]);
      feeds["mixPartner"] = new ort.Tensor(
        "int64",
        BigInt64Array.from(input.regularizer.perm, (i) => BigInt(i)),
        [input.n],
      );
    }
    for (const k of Object.keys(feeds)) if (!this.inputNames.has(k)) delete feeds[k];
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
    if (Number.isFinite(parts.loss) && Number.isFinite(gradNorm)) this.update(grads);
    return { parts, gradNorm };
  }

  /** Adam as the tfjs engines apply it (engine.ts applyUpdate): the potential and τ with the gradient reversed when sign = −1. */
  private update(grads: ReadonlyMap<string, Float32Array>): void {
    const roles = [
      { role: "model" as const, names: this.session.modelVars, sign: 1 as const },
      { role: "potential" as const, names: this.session.potentialVars, sign: this.config.loss.sign },
    ];
    for (const { role, names, sign } of roles) {
      const present = names.filter((k) => grads.has(k));
      if (present.length === 0 && role === "potential") continue;
      const state = this.adam[role];
      state.t++;
      for (const name of present) {
        const theta = this.params.get(name)!;
        let slot = state.slots.get(name);
        if (!slot) state.slots.set(name, (slot = { m: new Float32Array(theta.length), v: new Float32Array(theta.length) }));
        adamUpdateF32(this.optimisers[role].options, state.t, theta, grads.get(name)!, slot.m, slot.v, sign);
      }
    }
  }

  /** Write the parameters and optimiser state back into the session and the optimisers (checkpoints, evaluation). */
  async sync(): Promise<void> {
    this.session.restore(Object.fromEntries(this.params));
    const shapes = new Map([...this.session.vars].map(([k, v]) => [k, v.shape]));
    for (const role of ["model", "potential"] as const) {
      const { t, slots } = this.adam[role];
      this.optimisers[role].restore({ t, slots: Object.fromEntries(slots) }, shapes);
    }
  }

  destroy(): void {
    void this.ortSession.release();
  }
}

export { HYPER_INPUTS };
