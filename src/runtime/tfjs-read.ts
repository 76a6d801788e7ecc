/**
 * Reading tfjs results out of a tidy scope. A typed array returned from `tf.tidy` itself costs time
 * linear in its length: tidy walks its result element by element looking for tensors, which took
 * seconds per call for a research-sized decoder's parameters or jet columns.
 */
import * as tf from "@tensorflow/tfjs";

/** The values of the tensor(s) `build` returns: computed in a tidy scope, read after it, then freed. */
export function readTidy(build: () => tf.Tensor): Float32Array;
export function readTidy(build: () => tf.Tensor[]): Float32Array[];
export function readTidy(build: () => tf.Tensor | tf.Tensor[]): Float32Array | Float32Array[] {
  const out = tf.tidy(build);
  const list = Array.isArray(out) ? out : [out];
  try {
    const values = list.map((t) => t.dataSync() as Float32Array);
    return Array.isArray(out) ? values : values[0]!;
  } finally {
    // A variable returned as it is belongs to the caller.
    for (const t of list) if (!(t instanceof tf.Variable)) t.dispose();
  }
}
