/**
 * Step engines: what the trainer loop (trainer.ts) calls once per step. Each takes a data batch (and
 * the step's measure and regulariser points), computes the loss parts and gradients its own way —
 * tfjs autograd over the generated kernels, a compiled ONNX graph, or generated WGSL — and updates
 * the parameters with Adam when the loss and gradient are finite (the loop's NaN guard does the rest).
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "../adam.js";
import type { TrainConfig } from "../config.js";
import type { RegularizerPoints } from "../regularizer-points.js";
import { PART_NAMES, type Parts, type Session } from "../session.js";

export interface StepInput {
  /** Rows of the batch, n × D, row-major. */
  batch: Float32Array;
  n: number;
  /** 1-based number of the step being taken. */
  step: number;
  /** Measure points (uniform or grid measure), or null for the encoded batch. */
  measure: { points: Float32Array; n: number; weight: number } | null;
  /** Mixup coefficients of the chart-fixing terms, or null when none is on. */
  regularizer: RegularizerPoints | null;
  /** The batch rows of the Isomap chart (loss.isomap), n × d, or null when that term is off. */
  anchor: Float32Array | null;
}

export interface StepResult {
  parts: Parts;
  gradNorm: number;
}

export interface StepEngine {
  /** Shown in logs and recorded in summary.json. */
  readonly name: string;
  /** Called once the session holds the starting (or resumed) parameters and optimiser state. */
  begin(): Promise<void>;
  step(input: StepInput): Promise<StepResult>;
  /** Bring the session's variables and the optimisers up to date (before checkpoints and evaluations). */
  sync(): Promise<void>;
  destroy(): void;
}

export interface Optimisers {
  model: Adam;
  potential: Adam;
}

/**
 * Adam on the model's and the potential's variables from gradients of the total loss. The potential
 * and τ minimise L_curv: with sign −1 their gradient is reversed (see session.ts).
 */
export function applyUpdate(session: Session, config: TrainConfig, optimisers: Optimisers, grads: ReadonlyMap<string, tf.Tensor>): void {
  const modelGrads = new Map([...grads].filter(([k]) => session.modelVars.includes(k)));
  optimisers.model.apply(new Map(session.modelVars.map((k) => [k, session.variable(k)])), modelGrads);
  applyPotentialUpdate(session, config, optimisers.potential, grads);
}

/** Adam on the potential and τ from their gradients of the total loss (reversed for sign −1); no-op without them. */
export function applyPotentialUpdate(session: Session, config: TrainConfig, adam: Adam, grads: ReadonlyMap<string, tf.Tensor>): void {
  tf.tidy(() => {
    const potGrads = new Map(
      [...grads]
        .filter(([k]) => session.potentialVars.includes(k))
        .map(([k, g]) => [k, config.loss.sign > 0 ? g : tf.neg(g)] as [string, tf.Tensor]),
    );
    if (potGrads.size) adam.apply(new Map(session.potentialVars.map((k) => [k, session.variable(k)])), potGrads);
  });
}

/** The tfjs engine: one tfjs gradient of the explicit forward pass over the generated kernels. */
export class TfjsEngine implements StepEngine {
  constructor(
    readonly name: string,
    private readonly session: Session,
    private readonly config: TrainConfig,
    private readonly optimisers: Optimisers,
  ) {}

  async step(input: StepInput): Promise<StepResult> {
    const { session, config } = this;
    const d = session.latentDim;
    const D = session.model.outputDim;
    return tf.tidy(() => {
      const xb = tf.tensor2d(input.batch, [input.n, D]);
      const measure = input.measure
        ? { points: tf.tensor2d(input.measure.points, [input.measure.n, d]), weight: input.measure.weight }
        : null;
      const kept: { parts?: tf.Tensor } = {};
      const vars = session.trainable();
      const { grads } = tf.variableGrads(() => {
        const anchor = input.anchor ? tf.tensor2d(input.anchor, [input.n, d]) : null;
        const r = session.stepLoss(xb, measure, input.regularizer, anchor);
        kept.parts = tf.keep(r.parts);
        return r.total as tf.Scalar;
      }, vars);
      const byRole = new Map<string, tf.Tensor>();
      for (const [name, v] of session.vars) {
        const g = vars.includes(v) ? grads[v.name] : undefined;
        if (g) byRole.set(name, g);
      }
      const norm = tf.sqrt(tf.addN([...byRole.values()].map((g) => tf.sum(tf.square(g)))));
      const values = tf.concat([kept.parts!, tf.reshape(norm, [1])]).dataSync();
      kept.parts!.dispose();
      const parts = Object.fromEntries(PART_NAMES.map((k, i) => [k, values[i]!])) as Parts;
      const gradNorm = values[PART_NAMES.length]!;
      if (Number.isFinite(parts.loss) && Number.isFinite(gradNorm)) applyUpdate(session, config, this.optimisers, byRole);
      return { parts, gradNorm };
    });
  }

  async begin(): Promise<void> {}

  async sync(): Promise<void> {}

  destroy(): void {}
}
