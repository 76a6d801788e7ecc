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

/**
 * The same update on plain float32 arrays, in place, for engines that keep the parameters off tfjs
 * between checkpoints (the onnx engine). Every operation is one IEEE float32 operation in the order
 * Adam.apply performs them (Math.fround after each exact double operation is the correctly rounded
 * float32 result), so the two give the same bits. `t` is the step count after this update; `sign`
 * multiplies g first (−1: gradient reversal).
 */
export function adamUpdateF32(
  o: AdamOptions,
  t: number,
  theta: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  sign: 1 | -1 = 1,
): void {
  const f = Math.fround;
  const [b1, b2, eps, lr] = [f(o.beta1), f(o.beta2), f(o.epsilon), f(o.lr)];
  const [omb1, omb2] = [f(1 - o.beta1), f(1 - o.beta2)];
  const [c1, c2] = [f(1 - o.beta1 ** t), f(1 - o.beta2 ** t)];
  for (let i = 0; i < theta.length; i++) {
    const gi = sign * g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * omb1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * omb2));
    const step = f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps));
    theta[i] = f(theta[i]! - f(step * lr));
    m[i] = mi;
    v[i] = vi;
  }
}
