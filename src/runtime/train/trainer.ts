/**
 * The training loop behind `ricci-gen train`: epochs of shuffled mini-batches over a step engine
 * (engines/: the compiled ONNX step, tfjs autograd over the generated kernels, or generated WGSL),
 * metrics JSONL, atomic checkpoints, exact resume, a NaN guard and runaway-scale detection.
 * Everything random is a pure function of (seed, epoch) or (seed, step) — the epoch's permutation,
 * the measure's samples, the regulariser points — so a resumed run takes exactly the steps the
 * uninterrupted run would have, and reruns on a deterministic engine are bit-identical.
 *
 * Run folder runs/<name>/ (format: docs/run-folder.md): config.json, model.json, data.json,
 * kernels.tfjs.ts (+ potential.tfjs.ts), step.onnx (onnx engine), metrics.jsonl, checkpoint.json,
 * summary.json.
 */
import * as tf from "@tensorflow/tfjs";
import { readTidy } from "../tfjs-read.js";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/random.js";
import { Adam } from "./adam.js";
import { NonFiniteCheckpoint, saveCheckpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import type { Optimisers, StepEngine, StepInput } from "./engines/engine.js";
import { onnxGeometry } from "../onnx/geometry.js";
import { OnnxEngine } from "./engines/onnx-engine.js";
import { chooseEngine, createEngine } from "./engines/select.js";
import { evaluateSession, type TestMetrics } from "./evaluate.js";
import { checkMeasure, measureBox, measurePoints, type Box } from "./measure.js";
import { MetricsLog, type MetricRecord } from "./metrics.js";
import { ProgressBar } from "./progress.js";
import { regularizerPoints } from "./regularizer-points.js";
import { isomapChart } from "../data/isomap.js";
import { lossDescription, runFiles, shownParts, stepRecord, watchScale, writeRunInputs, type RunFiles, type Summary } from "./run-log.js";
import { acquireRunLock } from "./run-lock.js";
import { checkpointOf, epochPermutation, freshState, mixSeed, resumeFrom, type RunState } from "./run-state.js";
import {
  buildSession,
  initFromRun,
  loadTrainingData,
  loadTrainingModel,
  PART_NAMES,
  type BuiltSession,
  type Parts,
  type Session,
  type SessionData,
} from "./session.js";

export { epochPermutation, mixSeed } from "./run-state.js";
export { runFiles, type Summary } from "./run-log.js";

/** A run stopped by a fault (NaN loss or gradient): the last good checkpoint is kept. */
export class TrainingFailure extends Error {
  constructor(
    readonly step: number,
    readonly reason: string,
  ) {
    super(`training stopped at step ${step}: ${reason}; the last good checkpoint is kept`);
    this.name = "TrainingFailure";
  }
}

export interface TrainOptions {
  /** Continue from runs/<name>/checkpoint.json. */
  resume?: boolean;
  /** Start over even if runs/<name> holds a run. */
  force?: boolean;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /** Set `requested` (e.g. from SIGINT) to stop after the current step with a checkpoint. */
  stop?: { requested: boolean };
  /** Called after every step with its metrics record (tests). */
  onStep?: (record: MetricRecord) => void;
  /** Threads of the onnx engine (default: every core). */
  threads?: number;
  /** Write eval.json + latent.json when the run completes or stops (default true). */
  evaluate?: boolean;
}

/** The box the encoded training set spans (for the uniform and grid measures). */
function encodedRange(session: Session, x: Float32Array, n: number): Box {
  const d = session.latentDim;
  const D = session.model.outputDim;
  const lo = new Array<number>(d).fill(Infinity);
  const hi = new Array<number>(d).fill(-Infinity);
  for (let s = 0; s < n; s += 2048) {
    const m = Math.min(2048, n - s);
    const z = readTidy(() => session.encode(tf.tensor2d(x.subarray(s * D, (s + m) * D), [m, D])).z);
    for (let p = 0; p < m; p++)
      for (let i = 0; i < d; i++) {
        const v = z[p * d + i]!;
        if (v < lo[i]!) lo[i] = v;
        if (v > hi[i]!) hi[i] = v;
      }
  }
  return lo.map((l, i) => [l, hi[i]!] as [number, number]);
}

/** Train as a config says. Resolves with the summary (also written to summary.json). */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<{ runDir: string; summary: Summary }> {
  // One writer per run folder (run-lock.ts); taking the lock also clears stray .tmp files.
  const lock = acquireRunLock(join(config.runsPath, config.name));
  try {
    return await trainLocked(config, opts);
  } finally {
    lock.release();
  }
}

async function trainLocked(config: TrainConfig, opts: TrainOptions): Promise<{ runDir: string; summary: Summary }> {
  const runDir = join(config.runsPath, config.name);
  const files = runFiles(runDir);
  if (existsSync(files.checkpoint) && !opts.resume && !opts.force)
    throw new UserError("name", `${runDir} already holds a run: use --resume to continue it or --force to start over`);
  if (opts.resume && !existsSync(files.checkpoint)) throw new UserError("--resume", `no checkpoint in ${runDir}: nothing to resume`);

  const modelInfo = loadTrainingModel(config);
  const choice = await chooseEngine(config, modelInfo.model);
  const data = loadTrainingData(config, modelInfo.model.outputDim);
  checkMeasure(config.measure, modelInfo.model.latentDim);
  const built = await buildSession(config, modelInfo);
  const { session } = built;
  const progress = new ProgressBar(process.stderr, opts.progress ?? true);
  const opt = config.optimizer;
  const optimisers: Optimisers = {
    model: new Adam({ lr: opt.lr, beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon }),
    potential: new Adam({ lr: config.potential.lr ?? opt.lr, beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon }),
  };
  let engine: StepEngine | null = null;
  try {
    engine = await createEngine(choice, session, config, optimisers, opts.threads);
    if (engine instanceof OnnxEngine) writeFileAtomic(join(runDir, "step.onnx"), engine.graph);
    const result = await new TrainingRun(config, opts, files, built, data, progress, engine, optimisers).execute();
    if (opts.evaluate !== false && (result.status === "completed" || result.status === "stopped"))
      await evaluateAtEnd(runDir, config, session, data, result.steps, progress);
    return { runDir, summary: result };
  } finally {
    progress.done();
    engine?.destroy();
    choice.gpu?.destroy();
    optimisers.model.dispose();
    optimisers.potential.dispose();
    session.dispose();
  }
}

/** The given rows (each `width` values) of a row-major matrix, in that order. */
function gatherRows(src: Float32Array, width: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
  return out;
}

/** One run of the loop: its position (RunState), logs and summary. */
class TrainingRun {
  private state: RunState = freshState();
  private readonly metrics: MetricsLog;
  private readonly session: Session;
  private readonly stepsPerEpoch: number;
  private readonly plannedSteps: number;
  private readonly totalSteps: number;
  private readonly t0 = performance.now();
  private status: Summary["status"] = "completed";
  private failure: Summary["failure"];
  private lastParts: Parts | null = null;
  private scaleWarning: string | null = null;
  private test: TestMetrics | null = null;
  private rate = { start: performance.now(), steps: 0, points: 0 };
  /** The Isomap chart of the training rows (loss.isomap), n × d, or null. */
  private anchors: Float32Array | null = null;

  constructor(
    private readonly config: TrainConfig,
    private readonly opts: TrainOptions,
    private readonly files: RunFiles,
    private readonly built: BuiltSession,
    private readonly data: SessionData,
    private readonly progress: ProgressBar,
    private readonly engine: StepEngine,
    private readonly optimisers: Optimisers,
  ) {
    this.metrics = new MetricsLog(files.metrics);
    this.session = built.session;
    this.stepsPerEpoch = Math.ceil(data.train.n / config.batch);
    this.plannedSteps = config.epochs * this.stepsPerEpoch;
    this.totalSteps = Math.min(this.plannedSteps, config.maxSteps ?? Infinity);
  }

  async execute(): Promise<Summary> {
    const { config, state, engine } = await this.start();
    let perm = epochPermutation(this.data.train.n, config.seed, state.epoch);
    while (state.step < this.totalSteps) {
      // Let signal handlers (Ctrl-C → opts.stop) run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (state.stepInEpoch === 0) perm = this.beginEpoch();
      const input = this.stepInput(perm);
      const { parts, gradNorm } = await engine.step(input);
      if (!Number.isFinite(parts.loss) || !Number.isFinite(gradNorm)) this.fail(input.step, parts, gradNorm);
      this.record(parts, gradNorm, input.n);
      const endOfEpoch = state.stepInEpoch === this.stepsPerEpoch;
      if (endOfEpoch) await this.endEpoch();
      const interrupted = this.opts.stop?.requested === true;
      const due = config.checkpointEvery !== undefined && state.step % config.checkpointEvery === 0;
      if (state.step >= this.totalSteps || endOfEpoch || interrupted || due) {
        await engine.sync();
        this.checkpoint();
      }
      if (interrupted) {
        this.status = "interrupted";
        this.progress.log(`interrupted at step ${state.step}: checkpoint written; continue with --resume`);
        return this.writeSummary();
      }
    }
    return await this.finish();
  }

  /** Resume from the checkpoint or set up a fresh run folder; log what runs. */
  private async start(): Promise<this> {
    const { config, files, session, data, progress } = this;
    // Before the run folder is touched: a config error here loses nothing.
    this.anchors = this.isomapAnchors();
    if (this.opts.resume) {
      const runDir = join(config.runsPath, config.name);
      this.state = resumeFrom(files.checkpoint, runDir, config, this.stepsPerEpoch, session, this.optimisers);
      const { step, epoch, stepInEpoch } = this.state;
      this.metrics.truncateAfter(step);
      this.metrics.append({
        type: "event",
        step,
        event: "resume",
        message: `resumed at step ${step} (epoch ${epoch + 1}, step ${stepInEpoch} of ${this.stepsPerEpoch})`,
      });
    } else {
      if (config.initPath) initFromRun(session, config.initPath);
      if (this.opts.force) for (const f of [files.checkpoint, files.summary, files.metrics]) rmSync(f, { force: true });
      writeRunInputs(files, config, this.built, data);
      this.metrics.reset();
      this.metrics.append({
        type: "event",
        step: 0,
        event: "start",
        message: `backend ${this.engine.name}; measure ${this.built.measureDescription}`,
      });
    }
    await this.engine.begin();
    writeFileAtomic(files.kernels, this.built.decoderSource);
    if (this.built.potentialSource) writeFileAtomic(files.potential, this.built.potentialSource);
    progress.log(
      `ricci-gen train ${config.name}: backend ${this.engine.name}, ${data.train.n} training / ${data.test.n} test points, ${this.stepsPerEpoch} steps per epoch`,
    );
    progress.log(`loss: ${lossDescription(config)}`);
    if (config.loss.curv > 0) progress.log(`measure: ${this.built.measureDescription}`);
    return this;
  }

  /** The landmark-Isomap chart of the training rows when loss.isomap is on (deterministic, so resume recomputes it). */
  private isomapAnchors(): Float32Array | null {
    const { config, session, data, progress } = this;
    const { weight, neighbours, landmarks } = config.loss.isomap;
    if (!(weight > 0)) return null;
    if (session.torus)
      throw new UserError("loss.isomap.weight", "the Isomap anchor needs a Euclidean latent, and latent.torus is on: set the weight to 0");
    const t0 = performance.now();
    // From the float32 rows the engines train on, so the anchor matches their inputs exactly.
    const chart = isomapChart(Float64Array.from(data.trainX), data.train.n, data.train.dim, {
      neighbours,
      landmarks,
      dim: session.latentDim,
    });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    progress.log(`isomap: chart of the ${data.train.n} training points (${neighbours} neighbours, ${landmarks} landmarks) in ${seconds} s`);
    return Float32Array.from(chart);
  }

  private beginEpoch(): Int32Array {
    const { config, session, data, state } = this;
    state.measureBox = session.usesCurvature
      ? measureBox(config.measure, session.latentDim, session.torus, () => encodedRange(session, data.trainX, data.train.n))
      : null;
    return epochPermutation(data.train.n, config.seed, state.epoch);
  }

  /** The next batch (rows of the epoch's permutation) and the step's random points. */
  private stepInput(perm: Int32Array): StepInput {
    const { config, session, data, state } = this;
    const D = session.model.outputDim;
    const start = state.stepInEpoch * config.batch;
    const n = Math.min(config.batch, data.train.n - start);
    const rows = perm.subarray(start, start + n);
    const batch = gatherRows(data.trainX, D, rows);
    const anchor = this.anchors ? gatherRows(this.anchors, session.latentDim, rows) : null;
    const step = state.step + 1;
    const box = state.measureBox;
    const measure =
      session.usesCurvature && config.measure.kind !== "batch" && box
        ? measurePoints(config.measure, box, new Rng(mixSeed(config.seed, 2, step)))
        : null;
    const regularizer = session.usesRegularizerPoints ? regularizerPoints(config.seed, step, n, config.loss.regularizerPoints.eta) : null;
    return { batch, n, step, measure, regularizer, anchor };
  }

  private fail(step: number, parts: Parts, gradNorm: number): never {
    const { state } = this;
    const which = !Number.isFinite(parts.loss) ? `the loss is ${parts.loss}` : `the gradient norm is ${gradNorm}`;
    const bad = PART_NAMES.filter((k) => !Number.isFinite(parts[k]));
    const reason = `${which} (epoch ${state.epoch + 1}, step ${state.stepInEpoch + 1} of ${this.stepsPerEpoch}${bad.length ? `; non-finite: ${bad.join(", ")}` : ""})`;
    this.status = "failed";
    this.failure = { step, reason };
    this.metrics.append({ type: "event", step, event: "nan", message: reason });
    const kept = existsSync(this.files.checkpoint) ? "the last good checkpoint is kept" : "no checkpoint was written yet";
    this.progress.log(`error: step ${step}: ${reason}. Stopping; ${kept}.`);
    this.writeSummary();
    throw new TrainingFailure(step, reason);
  }

  /** Advance the position and log the step (metrics record, scale watch, progress line). */
  private record(parts: Parts, gradNorm: number, points: number): void {
    const { state, session, config } = this;
    state.step++;
    state.stepInEpoch++;
    state.degenerateTotal += parts.degenerate;
    this.lastParts = parts;
    this.rate.steps++;
    this.rate.points += points;
    const now = performance.now();
    const pointsPerSec = (this.rate.points * 1000) / Math.max(now - this.rate.start, 1e-3);
    const record = stepRecord(session, state, parts, gradNorm, pointsPerSec, this.elapsed());
    this.metrics.append(record);
    this.opts.onStep?.(record);
    if (session.usesCurvature) this.scaleWarning = watchScale(config, state, parts, this.metrics, this.progress) ?? this.scaleWarning;
    const secPerStep = (now - this.rate.start) / 1000 / Math.max(this.rate.steps, 1);
    const info = {
      epoch: state.epoch + 1,
      epochs: config.epochs,
      stepInEpoch: state.stepInEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      step: state.step,
    };
    const eta = (this.totalSteps - state.step) * secPerStep;
    this.progress.update(
      { ...info, totalSteps: this.totalSteps, parts: shownParts(config, session, parts), pointsPerSec, etaSec: eta },
      state.stepInEpoch === this.stepsPerEpoch,
    );
    if (this.rate.steps >= 50) this.rate = { start: now, steps: 0, points: 0 };
  }

  private async endEpoch(): Promise<void> {
    const { state, config } = this;
    state.epoch++;
    state.stepInEpoch = 0;
    if (config.evalEvery <= 0 || state.epoch % config.evalEvery !== 0 || state.step >= this.totalSteps) return;
    await this.engine.sync();
    const m = await this.evaluate();
    if (!m) return;
    this.metrics.append({ type: "eval", step: state.step, epoch: state.epoch, test: m });
    this.progress.log(
      `epoch ${state.epoch}: test MSE ${m.mse.toPrecision(4)}, mean R²√det g ${m.meanR2SqrtDetG.toPrecision(4)}${m.degenerate ? `, ${m.degenerate} degenerate points` : ""}`,
    );
  }

  private checkpoint(): void {
    const ck = checkpointOf(this.state, this.elapsed(), this.config, this.stepsPerEpoch, this.session, this.optimisers);
    try {
      saveCheckpoint(this.files.checkpoint, ck);
    } catch (e) {
      // A non-finite state is never checkpointed (checkpoint.ts): the last good checkpoint stays.
      if (!(e instanceof NonFiniteCheckpoint)) throw e;
      this.status = "failed";
      this.failure = { step: this.state.step, reason: e.message };
      this.metrics.append({ type: "event", step: this.state.step, event: "nan", message: e.message });
      this.writeSummary();
      throw new TrainingFailure(this.state.step, e.message);
    }
  }

  private async evaluate(): Promise<TestMetrics | null> {
    const { data, config, session, engine } = this;
    if (data.test.n === 0) return null;
    // The onnx engine's runs evaluate their geometry in ONNX Runtime too (tfjs is far slower at research widths).
    const geometry =
      engine instanceof OnnxEngine ? (z: Float64Array, n: number) => onnxGeometry(session, z, n, this.opts.threads) : undefined;
    return evaluateSession(session, data.testX, Math.min(data.test.n, config.evalPoints ?? data.test.n), { geometry });
  }

  private async finish(): Promise<Summary> {
    const { state } = this;
    if (state.step < this.plannedSteps) this.status = "stopped";
    this.test = await this.evaluate();
    if (this.test) this.metrics.append({ type: "eval", step: state.step, epoch: state.epoch, test: this.test, final: true });
    const summary = this.writeSummary();
    const t = this.test;
    this.progress.log(
      `done: ${state.step} steps in ${summary.elapsedSec.toFixed(1)} s` +
        (t ? `; test MSE ${t.mse.toPrecision(4)}, mean R²√det g ${t.meanR2SqrtDetG.toPrecision(4)}, degenerate ${t.degenerate}` : "") +
        `; artifacts in ${join(this.config.runsPath, this.config.name)}`,
    );
    return summary;
  }

  private elapsed(): number {
    return this.state.elapsedBefore + (performance.now() - this.t0) / 1000;
  }

  private writeSummary(): Summary {
    const { config, session, data, state } = this;
    const summary: Summary = {
      name: config.name,
      status: this.status,
      ...(this.failure ? { failure: this.failure } : {}),
      steps: state.step,
      epochsCompleted: state.epoch,
      elapsedSec: this.elapsed(),
      backend: this.engine.name,
      functional: config.loss.functional,
      route: config.loss.route,
      sign: config.loss.sign,
      measure: this.built.measureDescription,
      latent: { dim: session.latentDim, torus: session.torus },
      data: { train: data.train.n, test: data.test.n },
      degenerateTotal: state.degenerateTotal,
      scaleWarning: this.scaleWarning,
      lastStep: this.lastParts,
      test: this.test,
    };
    writeFileAtomic(this.files.summary, JSON.stringify(summary, null, 2) + "\n");
    return summary;
  }
}

/** eval.json + latent.json (src/runtime/run-eval); a failure there is reported but keeps the trained run. */
async function evaluateAtEnd(
  runDir: string,
  config: TrainConfig,
  session: Session,
  data: SessionData,
  step: number,
  progress: ProgressBar,
): Promise<void> {
  if (data.test.n < 2) return;
  try {
    // Loaded lazily: only a finished run needs the evaluation code.
    const { evaluateAndWrite } = await import("../run-eval/index.js");
    const { evaluation } = await evaluateAndWrite(runDir, { config, session, data, step, configHash: config.hash });
    progress.log(`evaluation (${evaluation.elapsedSec.toFixed(1)} s) written to ${join(runDir, "eval.json")}`);
  } catch (e) {
    // Straight to stderr: --no-progress silences progress.log, and this must not go unnoticed.
    process.stderr.write(
      `ricci-gen: warning: evaluation failed (${(e as Error).message}); the run is intact, retry with \`ricci-gen eval ${runDir}\`\n`,
    );
  }
}
