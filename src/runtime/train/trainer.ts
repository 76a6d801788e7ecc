/**
 * The training loop behind `ricci-gen train`: epochs of shuffled mini-batches, Adam, metrics JSONL,
 * atomic checkpoints, exact resume, a NaN guard and runaway-scale detection. Everything random is a
 * pure function of (seed, epoch) or (seed, step) — the epoch's permutation, the measure's samples —
 * so a run resumed from a checkpoint takes exactly the steps the uninterrupted run would have, and
 * two runs with the same seed on the cpu backend are bit-identical.
 *
 * Run folder runs/<name>/ (format: docs/run-folder.md): config.json, model.json, data.json,
 * kernels.tfjs.ts (+ potential.tfjs.ts), metrics.jsonl, checkpoint.json, summary.json.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/random.js";
import { Adam } from "./adam.js";
import type { Optimisers, StepEngine, StepInput } from "./engines/engine.js";
import { OnnxEngine } from "./engines/onnx-engine.js";
import { chooseEngine, createEngine } from "./engines/select.js";
import { decodeF32, encodeF32, loadCheckpoint, NonFiniteCheckpoint, saveCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { evaluateSession, type TestMetrics } from "./evaluate.js";
import { checkMeasure, measureBox, measurePoints, type Box } from "./measure.js";
import { MetricsLog, type MetricRecord } from "./metrics.js";
import { ProgressBar } from "./progress.js";
import { acquireRunLock } from "./run-lock.js";
import { regularizerPoints } from "./regularizer-points.js";
import { buildSession, initFromRun, loadTrainingData, loadTrainingModel, PART_NAMES, type Parts, type Session, type SessionData } from "./session.js";

/** Factor by which the mean √det g may drift from its first-step value before a runaway-scale warning. */
const SCALE_LIMIT = 1000;

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

export interface Summary {
  name: string;
  status: "completed" | "stopped" | "interrupted" | "failed";
  failure?: { step: number; reason: string };
  steps: number;
  epochsCompleted: number;
  elapsedSec: number;
  backend: string;
  functional: string;
  route: string;
  sign: number;
  measure: string;
  latent: { dim: number; torus: boolean };
  data: { train: number; test: number };
  degenerateTotal: number;
  scaleWarning: string | null;
  lastStep: Parts | null;
  test: TestMetrics | null;
}

/** A 32-bit hash of integers, for per-epoch and per-step seeds. */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(mixSeed(seed, 1, epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

function encodedRange(session: Session, x: Float32Array, n: number): Box {
  const d = session.latentDim;
  const D = session.model.outputDim;
  const lo = new Array<number>(d).fill(Infinity);
  const hi = new Array<number>(d).fill(-Infinity);
  for (let s = 0; s < n; s += 2048) {
    const m = Math.min(2048, n - s);
    const z = tf.tidy(() => session.encode(tf.tensor2d(x.subarray(s * D, (s + m) * D), [m, D])).z.dataSync());
    for (let p = 0; p < m; p++)
      for (let i = 0; i < d; i++) {
        const v = z[p * d + i]!;
        if (v < lo[i]!) lo[i] = v;
        if (v > hi[i]!) hi[i] = v;
      }
  }
  return lo.map((l, i) => [l, hi[i]!] as [number, number]);
}

export const runFiles = (dir: string) => ({
  config: join(dir, "config.json"),
  model: join(dir, "model.json"),
  data: join(dir, "data.json"),
  kernels: join(dir, "kernels.tfjs.ts"),
  potential: join(dir, "potential.tfjs.ts"),
  metrics: join(dir, "metrics.jsonl"),
  checkpoint: join(dir, "checkpoint.json"),
  summary: join(dir, "summary.json"),
});

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

  const selected = await chooseEngine(config);
  const modelInfo = loadTrainingModel(config);
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
    engine = await createEngine(selected, session, config, optimisers, opts.threads);
    if (engine instanceof OnnxEngine) writeFileAtomic(join(runDir, "step.onnx"), engine.graph);
    const result = await runLoop(config, opts, runDir, files, engine.name, built, data, progress, engine, optimisers);
    if (opts.evaluate !== false && (result.summary.status === "completed" || result.summary.status === "stopped")) await evaluateAtEnd(runDir, config, session, data, result.summary.steps, progress);
    return result;
  } finally {
    progress.done();
    engine?.destroy();
    selected.gpu?.destroy();
    optimisers.model.dispose();
    optimisers.potential.dispose();
    session.dispose();
  }
}

async function runLoop(
  config: TrainConfig,
  opts: TrainOptions,
  runDir: string,
  files: ReturnType<typeof runFiles>,
  backend: string,
  built: Awaited<ReturnType<typeof buildSession>>,
  data: SessionData,
  progress: ProgressBar,
  /** Computes each step; the session mirrors it after `sync()` (checkpoints and evaluations). */
  engine: StepEngine,
  optimisers: Optimisers,
): Promise<{ runDir: string; summary: Summary }> {
  const { session } = built;
  const metrics = new MetricsLog(files.metrics);
  const opt = config.optimizer;
  const { model: adamModel, potential: adamPotential } = optimisers;
  const d = session.latentDim;
  const D = session.model.outputDim;
  const nTrain = data.train.n;
  const stepsPerEpoch = Math.ceil(nTrain / config.batch);
  const plannedSteps = config.epochs * stepsPerEpoch;
  const totalSteps = Math.min(plannedSteps, config.maxSteps ?? Infinity);

  let step = 0;
  let epoch = 0;
  let stepInEpoch = 0;
  let elapsedBefore = 0;
  let box: Box | null = null;
  let initialScale: number | null = null;
  let scaleWarned = false;
  let degenerateTotal = 0;

  if (opts.resume) {
    const ck = loadCheckpoint(files.checkpoint);
    if (ck.configHash !== config.hash)
      throw new UserError("--resume", `the config differs from the one ${runDir} was started with (only epochs, maxSteps, evalEvery, checkpointEvery, backend and description may change)`);
    if (ck.stepsPerEpoch !== stepsPerEpoch) throw new UserError("--resume", "the training set size or batch changed since the checkpoint");
    session.restore(Object.fromEntries(Object.entries(ck.params).map(([k, v]) => [k, decodeF32(v, `checkpoint.params.${k}`)])));
    const shapes = new Map([...session.vars].map(([k, v]) => [k, v.shape]));
    const decodeAdam = (name: string) => {
      const a = ck.adam[name];
      return a
        ? {
            t: a.t,
            slots: Object.fromEntries(
              Object.entries(a.slots).map(([k, s]) => [k, { m: decodeF32(s.m, `checkpoint.adam.${name}`), v: decodeF32(s.v, `checkpoint.adam.${name}`) }]),
            ),
          }
        : { t: 0, slots: {} };
    };
    adamModel.restore(decodeAdam("model"), shapes);
    adamPotential.restore(decodeAdam("potential"), shapes);
    ({ step, epoch, stepInEpoch, measureBox: box, initialScale, scaleWarned, degenerateTotal } = ck);
    elapsedBefore = ck.elapsedSec;
    metrics.truncateAfter(step);
    metrics.append({ type: "event", step, event: "resume", message: `resumed at step ${step} (epoch ${epoch + 1}, step ${stepInEpoch} of ${stepsPerEpoch})` });
  } else {
    if (config.initPath) initFromRun(session, config.initPath);
    if (opts.force) for (const f of [files.checkpoint, files.summary, files.metrics]) rmSync(f, { force: true });
    writeFileAtomic(files.config, JSON.stringify({ ...stripComputed(config), resolved: { modelPath: config.modelPath, baseDir: config.baseDir, runsPath: config.runsPath, hash: config.hash, torus: session.torus } }, null, 2) + "\n");
    writeFileAtomic(files.model, built.modelText);
    writeFileAtomic(
      files.data,
      JSON.stringify(
        {
          dataset: data.train.name.replace(/\/train$/, ""),
          dim: D,
          train: nTrain,
          test: data.test.n,
          testFraction: config.split.test,
          splitSeed: config.split.seed ?? config.seed,
          standardization: data.standardization ? { mean: [...data.standardization.mean], std: [...data.standardization.std] } : null,
        },
        null,
        2,
      ) + "\n",
    );
    metrics.reset();
    metrics.append({ type: "event", step: 0, event: "start", message: `backend ${backend}; measure ${built.measureDescription}` });
  }
  await engine.begin();
  writeFileAtomic(files.kernels, built.decoderSource);
  if (built.potentialSource) writeFileAtomic(files.potential, built.potentialSource);
  progress.log(`ricci-gen train ${config.name}: backend ${backend}, ${nTrain} training / ${data.test.n} test points, ${stepsPerEpoch} steps per epoch`);
  progress.log(
    `loss: ${config.loss.recon}·MSE` +
      (config.loss.curv > 0 ? ` ${config.loss.sign > 0 ? "+" : "−"} ${config.loss.curv}·${config.loss.functional} (route ${config.loss.route.toUpperCase()})` : "") +
      (config.loss.uniformity.weight > 0 ? ` + ${config.loss.uniformity.weight}·uniformity` : "") +
      (config.loss.contractive.weight > 0 ? ` + ${config.loss.contractive.weight}·contractive (${config.loss.contractive.reduce})` : "") +
      (["decoderContractive", "isometry", "volume", "conformality"] as const)
        .filter((k) => config.loss[k].weight > 0)
        .map((k) => ` + ${config.loss[k].weight}·${k}`)
        .join("") +
      (config.loss.curv > 0 && config.loss.inverseMetricEpsilon > 0 ? `; R with (g + ${config.loss.inverseMetricEpsilon}·I)⁻¹` : ""),
  );
  if (config.loss.curv > 0) progress.log(`measure: ${built.measureDescription}`);

  const checkpoint = (): void => {
    const encodeAdam = (a: Adam) => {
      const s = a.state();
      return { t: s.t, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, { m: encodeF32(v.m), v: encodeF32(v.v) }])) };
    };
    const ck: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      configHash: config.hash,
      step,
      epoch,
      stepInEpoch,
      stepsPerEpoch,
      elapsedSec: elapsedBefore + (performance.now() - t0) / 1000,
      measureBox: box,
      initialScale,
      scaleWarned,
      degenerateTotal,
      params: Object.fromEntries(Object.entries(session.snapshot()).map(([k, v]) => [k, encodeF32(v)])),
      adam: { model: encodeAdam(adamModel), potential: encodeAdam(adamPotential) },
    };
    try {
      saveCheckpoint(files.checkpoint, ck);
    } catch (e) {
      // A non-finite state is never checkpointed (checkpoint.ts): the last good checkpoint stays.
      if (!(e instanceof NonFiniteCheckpoint)) throw e;
      status = "failed";
      failure = { step, reason: e.message };
      metrics.append({ type: "event", step, event: "nan", message: e.message });
      writeSummary();
      throw new TrainingFailure(step, e.message);
    }
  };

  const t0 = performance.now();
  let lastParts: Parts | null = null;
  let scaleWarning: string | null = null;
  let test: TestMetrics | null = null;
  let status: Summary["status"] = "completed";
  let failure: Summary["failure"];
  let epochsCompleted = epoch;
  let perm = epochPermutation(nTrain, config.seed, epoch);
  let rateStart = performance.now();
  let rateSteps = 0;
  let ratePoints = 0;

  const writeSummary = (): Summary => {
    const summary: Summary = {
      name: config.name,
      status,
      ...(failure ? { failure } : {}),
      steps: step,
      epochsCompleted,
      elapsedSec: elapsedBefore + (performance.now() - t0) / 1000,
      backend,
      functional: config.loss.functional,
      route: config.loss.route,
      sign: config.loss.sign,
      measure: built.measureDescription,
      latent: { dim: d, torus: session.torus },
      data: { train: nTrain, test: data.test.n },
      degenerateTotal,
      scaleWarning,
      lastStep: lastParts,
      test,
    };
    writeFileAtomic(files.summary, JSON.stringify(summary, null, 2) + "\n");
    return summary;
  };

  const evaluate = (): TestMetrics | null => {
    if (data.test.n === 0) return null;
    const m = Math.min(data.test.n, config.evalPoints ?? data.test.n);
    return evaluateSession(session, data.testX, m);
  };

  while (step < totalSteps) {
    // Let signal handlers (Ctrl-C → opts.stop) run between steps.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stepInEpoch === 0) {
      perm = epochPermutation(nTrain, config.seed, epoch);
      box = session.usesCurvature ? measureBox(config.measure, d, session.torus, () => encodedRange(session, data.trainX, nTrain)) : null;
    }
    const start = stepInEpoch * config.batch;
    const nb = Math.min(config.batch, nTrain - start);
    const batch = new Float32Array(nb * D);
    for (let i = 0; i < nb; i++) {
      const r = perm[start + i]!;
      batch.set(data.trainX.subarray(r * D, (r + 1) * D), i * D);
    }
    const stepNumber = step + 1;
    let measure: StepInput["measure"] = null;
    if (session.usesCurvature && config.measure.kind !== "batch" && box) measure = measurePoints(config.measure, box, new Rng(mixSeed(config.seed, 2, stepNumber)));
    const regularizer = session.usesRegularizerPoints ? regularizerPoints(config.seed, stepNumber, nb, config.loss.regularizerPoints.eta) : null;
    const { parts, gradNorm } = await engine.step({ batch, n: nb, step: stepNumber, measure, regularizer });

    if (!Number.isFinite(parts.loss) || !Number.isFinite(gradNorm)) {
      const which = !Number.isFinite(parts.loss) ? `the loss is ${parts.loss}` : `the gradient norm is ${gradNorm}`;
      const bad = PART_NAMES.filter((k) => !Number.isFinite(parts[k]));
      const reason = `${which} (epoch ${epoch + 1}, step ${stepInEpoch + 1} of ${stepsPerEpoch}${bad.length ? `; non-finite: ${bad.join(", ")}` : ""})`;
      status = "failed";
      failure = { step: stepNumber, reason };
      metrics.append({ type: "event", step: stepNumber, event: "nan", message: reason });
      progress.log(`error: step ${stepNumber}: ${reason}. Stopping; ${existsSync(files.checkpoint) ? "the last good checkpoint is kept" : "no checkpoint was written yet"}.`);
      writeSummary();
      throw new TrainingFailure(stepNumber, reason);
    }

    step = stepNumber;
    stepInEpoch++;
    lastParts = parts;
    degenerateTotal += parts.degenerate;
    rateSteps++;
    ratePoints += nb;
    const now = performance.now();
    const pointsPerSec = (ratePoints * 1000) / Math.max(now - rateStart, 1e-3);
    const record: MetricRecord = {
      type: "step",
      step,
      epoch: epoch + 1,
      ...parts,
      gradNorm,
      pointsPerSec,
      elapsedSec: elapsedBefore + (now - t0) / 1000,
    };
    if (!session.usesCurvature) for (const k of ["curv", "r2", "degenerate", "volume", "meanSqrtDetG", "normError"]) delete record[k];
    if (session.functional === "R2") delete record["normError"];
    if (session.functional !== "W") delete record["tau"];
    if (session.weights.decoderContractive === 0) delete record["decoderContractive"];
    if (!session.usesRegularizerPoints) for (const k of ["isometry", "volumeVariance", "conformality"]) delete record[k];
    metrics.append(record);
    opts.onStep?.(record);

    if (session.usesCurvature && parts.meanSqrtDetG > 0) {
      if (initialScale === null) initialScale = parts.meanSqrtDetG;
      const ratio = parts.meanSqrtDetG / initialScale;
      if (!scaleWarned && (ratio > SCALE_LIMIT || ratio < 1 / SCALE_LIMIT)) {
        scaleWarned = true;
        scaleWarning =
          `runaway scale: the mean √det g at the measure points ${ratio > 1 ? "grew" : "shrank"} by a factor ${(ratio > 1 ? ratio : 1 / ratio).toPrecision(3)} ` +
          `since the first step (step ${step}); ${config.loss.functional} is not scale-invariant (docs/mathematics.md §4): a torus latent, the uniformity term or W pin the scale`;
        metrics.append({ type: "event", step, event: "scale-warning", message: scaleWarning });
        progress.log(`warning: ${scaleWarning}`);
      }
    }

    const stepsLeft = totalSteps - step;
    const secPerStep = (now - rateStart) / 1000 / Math.max(rateSteps, 1);
    const shown: Record<string, number> = { loss: parts.loss, recon: parts.recon };
    if (session.usesCurvature) shown[config.loss.functional] = parts.curv;
    if (config.loss.uniformity.weight > 0) shown["unif"] = parts.uniformity;
    if (config.loss.contractive.weight > 0) shown["contr"] = parts.contractive;
    if (session.usesCurvature && parts.degenerate > 0) shown["degenerate"] = parts.degenerate;
    const endOfEpoch = stepInEpoch === stepsPerEpoch;
    progress.update(
      { epoch: epoch + 1, epochs: config.epochs, stepInEpoch, stepsPerEpoch, step, totalSteps, parts: shown, pointsPerSec, etaSec: stepsLeft * secPerStep },
      endOfEpoch,
    );
    if (rateSteps >= 50) {
      rateStart = now;
      rateSteps = 0;
      ratePoints = 0;
    }

    if (endOfEpoch) {
      epoch++;
      stepInEpoch = 0;
      epochsCompleted = epoch;
      if (config.evalEvery > 0 && epoch % config.evalEvery === 0 && step < totalSteps) {
        await engine.sync();
        const m = evaluate();
        if (m) {
          metrics.append({ type: "eval", step, epoch, test: m });
          progress.log(`epoch ${epoch}: test MSE ${m.mse.toPrecision(4)}, mean R²√det g ${m.meanR2SqrtDetG.toPrecision(4)}${m.degenerate ? `, ${m.degenerate} degenerate points` : ""}`);
        }
      }
    }
    const interrupted = opts.stop?.requested === true;
    if (step >= totalSteps || endOfEpoch || interrupted || (config.checkpointEvery !== undefined && step % config.checkpointEvery === 0)) {
      await engine.sync();
      checkpoint();
    }
    if (interrupted) {
      status = "interrupted";
      progress.log(`interrupted at step ${step}: checkpoint written; continue with --resume`);
      return { runDir, summary: writeSummary() };
    }
  }
  if (step < plannedSteps) status = "stopped";
  test = evaluate();
  if (test) metrics.append({ type: "eval", step, epoch: epochsCompleted, test, final: true });
  const summary = writeSummary();
  progress.log(
    `done: ${step} steps in ${summary.elapsedSec.toFixed(1)} s` +
      (test ? `; test MSE ${test.mse.toPrecision(4)}, mean R²√det g ${test.meanR2SqrtDetG.toPrecision(4)}, degenerate ${test.degenerate}` : "") +
      `; artifacts in ${runDir}`,
  );
  return { runDir, summary };
}

/** eval.json + latent.json (src/runtime/run-eval); a failure there is reported but keeps the trained run. */
async function evaluateAtEnd(runDir: string, config: TrainConfig, session: Session, data: SessionData, step: number, progress: ProgressBar): Promise<void> {
  if (data.test.n < 2) return;
  try {
    // Loaded lazily: only a finished run needs the evaluation code.
    const { evaluateAndWrite } = await import("../run-eval/index.js");
    const { evaluation } = await evaluateAndWrite(runDir, { config, session, data, step, configHash: config.hash });
    progress.log(`evaluation (${evaluation.elapsedSec.toFixed(1)} s) written to ${join(runDir, "eval.json")}`);
  } catch (e) {
    // Straight to stderr: --no-progress silences progress.log, and this must not go unnoticed.
    process.stderr.write(`ricci-gen: warning: evaluation failed (${(e as Error).message}); the run is intact, retry with \`ricci-gen eval ${runDir}\`\n`);
  }
}

function stripComputed(config: TrainConfig): Record<string, unknown> {
  const { modelPath: _m, baseDir: _b, runsPath: _r, hash: _h, initPath: _i, ...rest } = config;
  return rest;
}
