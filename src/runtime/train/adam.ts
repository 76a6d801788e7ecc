/**
 * Adam on tfjs variables, written out (rather than tf.train.adam) so that its whole state — the
 * step count and the first and second moments — is plain named tensors the checkpoint stores
 * bit for bit, and a resumed run continues exactly.
 *
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 */
import * as tf from "@tensorflow/tfjs";

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface AdamSlot {
  m: tf.Tensor;
  v: tf.Tensor;
}

export class Adam {
  t = 0;
  readonly slots = new Map<string, AdamSlot>();

  constructor(readonly options: AdamOptions) {}

  /** One update of every variable that has a gradient in `grads` (keyed like `vars`). */
  apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    this.t++;
    const { lr, beta1, beta2, epsilon } = this.options;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (const [name, v] of vars) {
      const g = grads.get(name);
      if (!g) continue;
      let slot = this.slots.get(name);
      if (!slot) {
        slot = { m: tf.keep(tf.zerosLike(v)), v: tf.keep(tf.zerosLike(v)) };
        this.slots.set(name, slot);
      }
      const old = slot;
      const next = tf.tidy(() => {
        const m = tf.add(tf.mul(old.m, beta1), tf.mul(g, 1 - beta1));
        const s = tf.add(tf.mul(old.v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(s, c2)), epsilon));
        v.assign(tf.sub(v, tf.mul(step, lr)));
        return { m: tf.keep(m), v: tf.keep(s) };
      });
      old.m.dispose();
      old.v.dispose();
      this.slots.set(name, next);
    }
  }

  /** State for a checkpoint: t and, per variable, m and v as float32 arrays. */
  state(): { t: number; slots: Record<string, { m: Float32Array; v: Float32Array }> } {
    const slots: Record<string, { m: Float32Array; v: Float32Array }> = {};
    for (const [name, s] of this.slots) slots[name] = { m: s.m.dataSync() as Float32Array, v: s.v.dataSync() as Float32Array };
    return { t: this.t, slots };
  }

  restore(state: { t: number; slots: Record<string, { m: Float32Array; v: Float32Array }> }, shapes: ReadonlyMap<string, number[]>): void {
    this.dispose();
    this.t = state.t;
    for (const [name, s] of Object.entries(state.slots)) {
      const shape = shapes.get(name);
      if (!shape) continue;
      this.slots.set(name, { m: tf.keep(tf.tensor(s.m, shape)), v: tf.keep(tf.tensor(s.v, shape)) });
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}
