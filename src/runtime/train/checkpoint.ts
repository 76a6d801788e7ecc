/**
 * Checkpoints: everything a run needs to continue exactly where it stopped, in one JSON file
 * written atomically (util/atomic.ts), so a killed process leaves the previous checkpoint or the new
 * one, never half of one. Float32 arrays are stored as base64 of their bytes (little-endian), so
 * parameters and optimiser moments round-trip bit for bit. Format: docs/run-folder.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../util/atomic.js";
import { UserError } from "../../util/errors.js";

export const CHECKPOINT_FORMAT = "ricci-gen-checkpoint";
export const CHECKPOINT_VERSION = 1;

export interface EncodedArray {
  dtype: "float32";
  length: number;
  base64: string;
}

export function encodeF32(a: Float32Array): EncodedArray {
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return { dtype: "float32", length: a.length, base64: bytes.toString("base64") };
}

export function decodeF32(e: EncodedArray, where: string): Float32Array {
  const bytes = Buffer.from(e.base64, "base64");
  if (e.dtype !== "float32" || bytes.byteLength !== 4 * e.length)
    throw new UserError(where, `corrupt array (expected ${e.length} float32 values)`);
  const out = new Float32Array(e.length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Config identity (configHash): a resumed run must have the same. */
  configHash: string;
  /** Optimiser steps completed. */
  step: number;
  /** 0-based epoch the next step belongs to, and its position in that epoch's permutation. */
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  elapsedSec: number;
  /** Latent box of the uniform/grid measure for the current epoch, or null. */
  measureBox: [number, number][] | null;
  /** Mean √det g at the first step (for runaway-scale detection), or null before the first step. */
  initialScale: number | null;
  scaleWarned: boolean;
  degenerateTotal: number;
  /** Flat parameters: encoder, decoder, potential (F/W), logTau (learned τ). */
  params: Record<string, EncodedArray>;
  /** Adam state per optimiser ("model": encoder+decoder, "potential": potential and logTau). */
  adam: Record<string, { t: number; slots: Record<string, { m: EncodedArray; v: EncodedArray }> }>;
}

/** A checkpoint that would hold NaN or ±Infinity: it is not written, so the last good one stays. */
export class NonFiniteCheckpoint extends Error {
  constructor(readonly fields: string[]) {
    super(`non-finite values in ${fields.join(", ")} (a diverging step, e.g. a learning rate far too large)`);
    this.name = "NonFiniteCheckpoint";
  }
}

/** The names of the encoded arrays of `c` that hold a NaN or ±Infinity (params, then Adam moments). */
export function nonFiniteFields(c: Checkpoint): string[] {
  const bad: string[] = [];
  const check = (name: string, e: EncodedArray): void => {
    if (!decodeF32(e, name).every(Number.isFinite)) bad.push(name);
  };
  for (const [k, v] of Object.entries(c.params)) check(`params.${k}`, v);
  for (const [opt, state] of Object.entries(c.adam))
    for (const [k, slot] of Object.entries(state.slots)) {
      check(`adam.${opt}.${k}.m`, slot.m);
      check(`adam.${opt}.${k}.v`, slot.v);
    }
  return bad;
}

/**
 * Write a checkpoint atomically, after checking that every parameter and optimiser moment is finite:
 * a checkpoint is the state a run resumes from and the one evaluation reads, so a non-finite one is
 * never written (NonFiniteCheckpoint; the trainer reports it as a training fault).
 */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  const bad = nonFiniteFields(c);
  if (bad.length > 0) throw new NonFiniteCheckpoint(bad);
  writeFileAtomic(path, JSON.stringify(c));
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new UserError("--resume", `no checkpoint at ${path}: nothing to resume (start the run without --resume)`);
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(path, `unreadable checkpoint: ${(e as Error).message}`);
  }
  const ck = c as Partial<Checkpoint>;
  if (ck.format !== CHECKPOINT_FORMAT || ck.version !== CHECKPOINT_VERSION)
    throw new UserError(path, `not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} file`);
  return ck as Checkpoint;
}
