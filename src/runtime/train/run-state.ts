/**
 * A training run's position and monitors (step, epoch, measure box, scale watch, degenerate count),
 * and their round trip through checkpoint.json with the parameters and both optimisers' state, so a
 * resumed run continues exactly where the checkpoint stopped. Everything random in a run is a pure
 * function of (seed, epoch) or (seed, step): these counters are all a resume needs.
 */
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/random.js";
import type { Adam } from "./adam.js";
import { decodeF32, encodeF32, loadCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import type { Optimisers } from "./engines/engine.js";
import type { Box } from "./measure.js";
import type { Session } from "./session.js";

export interface RunState {
  step: number;
  epoch: number;
  stepInEpoch: number;
  /** Seconds spent before this process (resumed runs). */
  elapsedBefore: number;
  measureBox: Box | null;
  initialScale: number | null;
  scaleWarned: boolean;
  degenerateTotal: number;
}

export const freshState = (): RunState => ({
  step: 0,
  epoch: 0,
  stepInEpoch: 0,
  elapsedBefore: 0,
  measureBox: null,
  initialScale: null,
  scaleWarned: false,
  degenerateTotal: 0,
});

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

/** The order of the training rows in `epoch` (random stream 1). */
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

function encodeAdam(a: Adam): Checkpoint["adam"][string] {
  const s = a.state();
  return { t: s.t, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, { m: encodeF32(v.m), v: encodeF32(v.v) }])) };
}

export function checkpointOf(
  state: RunState,
  elapsedSec: number,
  config: TrainConfig,
  stepsPerEpoch: number,
  session: Session,
  optimisers: Optimisers,
): Checkpoint {
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    configHash: config.hash,
    step: state.step,
    epoch: state.epoch,
    stepInEpoch: state.stepInEpoch,
    stepsPerEpoch,
    elapsedSec,
    measureBox: state.measureBox,
    initialScale: state.initialScale,
    scaleWarned: state.scaleWarned,
    degenerateTotal: state.degenerateTotal,
    params: Object.fromEntries(Object.entries(session.snapshot()).map(([k, v]) => [k, encodeF32(v)])),
    adam: { model: encodeAdam(optimisers.model), potential: encodeAdam(optimisers.potential) },
  };
}

/** Load runs/<name>/checkpoint.json into the session and optimisers; returns the run's position. */
export function resumeFrom(
  path: string,
  runDir: string,
  config: TrainConfig,
  stepsPerEpoch: number,
  session: Session,
  optimisers: Optimisers,
): RunState {
  const ck = loadCheckpoint(path);
  if (ck.configHash !== config.hash)
    throw new UserError(
      "--resume",
      `the config differs from the one ${runDir} was started with (only epochs, maxSteps, evalEvery, checkpointEvery, backend and description may change)`,
    );
  if (ck.stepsPerEpoch !== stepsPerEpoch) throw new UserError("--resume", "the training set size or batch changed since the checkpoint");
  session.restore(Object.fromEntries(Object.entries(ck.params).map(([k, v]) => [k, decodeF32(v, `checkpoint.params.${k}`)])));
  const shapes = new Map([...session.vars].map(([k, v]) => [k, v.shape]));
  const decodeAdam = (name: string) => {
    const a = ck.adam[name];
    if (!a) return { t: 0, slots: {} };
    const slots = Object.entries(a.slots).map(([k, s]) => [
      k,
      { m: decodeF32(s.m, `checkpoint.adam.${name}`), v: decodeF32(s.v, `checkpoint.adam.${name}`) },
    ]);
    return { t: a.t, slots: Object.fromEntries(slots) as Record<string, { m: Float32Array; v: Float32Array }> };
  };
  optimisers.model.restore(decodeAdam("model"), shapes);
  optimisers.potential.restore(decodeAdam("potential"), shapes);
  return {
    step: ck.step,
    epoch: ck.epoch,
    stepInEpoch: ck.stepInEpoch,
    elapsedBefore: ck.elapsedSec,
    measureBox: ck.measureBox,
    initialScale: ck.initialScale,
    scaleWarned: ck.scaleWarned,
    degenerateTotal: ck.degenerateTotal,
  };
}
