/**
 * `ricci-gen bench`: the time of one training step (forward, tfjs gradient, Adam) per point, with the
 * generated tfjs kernels (what `train` runs) and with the same loss computed by nested tfjs autograd
 * (naive.ts), on each requested backend, in one run.
 *
 * The loss is λ_recon·MSE + λ_curv·mean_p R²√det g at the encoded batch points (the R2 functional
 * with the batch measure), on random data; both ways share the encoder, the recon term and Adam.
 * Timings are the median of `steps` steps after two warm-up steps. The table gives the speed-up of
 * the generated kernels over nested autograd by the same route, and over nested autograd by route A
 * (third derivatives by three nested levels: the reference work's method, and the naive way of
 * computing R at all).
 */
import * as tf from "@tensorflow/tfjs";
import { routeJetOrder, type Route } from "../../emit/facade.js";
import { Rng } from "../../util/random.js";
import { installHigherOrderGradients } from "../oracle/tfjs-activations.js";
import { Adam } from "./adam.js";
import { useBackend } from "./backend.js";
import { parseTrainConfig, type TfjsBackendName } from "./config.js";
import { stopGradient } from "./losses.js";
import { mlpForward, tfMlp } from "./mlp.js";
import { naiveScalarCurvature, nestedDerivatives } from "./naive.js";
import { buildSession, loadTrainingModel, type Session } from "./session.js";

export interface BenchOptions {
  modelPath: string;
  batch: number;
  backends: TfjsBackendName[];
  routes: Route[];
  /** Timed steps of the generated kernels (median reported). */
  steps: number;
  /** Timed steps of nested autograd (slow; 0 skips it). */
  naiveSteps: number;
  lambda: number;
  seed: number;
}

export interface BenchRow {
  backend: string;
  method: "generated" | "nested-autograd";
  route: Route;
  batch: number;
  steps: number;
  msPerStep: number;
  usPerPoint: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function time(steps: number, step: () => void): number[] {
  step(); // warm-up (JIT, tfjs kernel set-up)
  step();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step();
    out.push(performance.now() - t);
  }
  return out;
}

function adamStep(adam: Adam, session: Session, grads: tf.NamedTensorMap): void {
  const vars = new Map(session.modelVars.map((k) => [k, session.variable(k)]));
  adam.apply(vars, new Map([...vars].flatMap(([k, v]) => (grads[v.name] ? [[k, grads[v.name]!] as [string, tf.Tensor]] : []))));
}

async function benchSession(opts: BenchOptions, route: Route): Promise<Session> {
  const config = parseTrainConfig(
    {
      name: "bench",
      model: opts.modelPath,
      dataset: { kind: "swiss-roll" },
      loss: { curv: opts.lambda, route },
      epochs: 1,
      batch: opts.batch,
      seed: opts.seed,
    },
    { baseDir: process.cwd() },
  );
  return (await buildSession(config, loadTrainingModel(config))).session;
}

export async function runBench(opts: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const n = opts.batch;
  const rng = new Rng(opts.seed);
  const generated = async (backend: TfjsBackendName, route: Route): Promise<void> => {
    const session = await benchSession(opts, route);
    const D = session.model.outputDim;
    const x = tf.tensor2d(
      Float32Array.from({ length: n * D }, () => rng.normal()),
      [n, D],
    );
    const adam = new Adam({ lr: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const times = time(opts.steps, () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => session.stepLoss(x, null).total as tf.Scalar, session.trainable());
        adamStep(adam, session, grads);
        value.dataSync();
      }),
    );
    const ms = median(times);
    rows.push({ backend, method: "generated", route, batch: n, steps: opts.steps, msPerStep: ms, usPerPoint: (ms * 1000) / n });
    log(`${backend} generated route ${route.toUpperCase()}: ${ms.toFixed(1)} ms/step, ${((ms * 1000) / n).toFixed(1)} µs/point`);
    x.dispose();
    adam.dispose();
    session.dispose();
  };
  const naive = async (backend: TfjsBackendName, route: Route): Promise<void> => {
    const session = await benchSession(opts, route);
    const model = session.model;
    if (model.decoder.type !== "mlp") throw new Error("MLP decoder expected");
    const decoderNet = tfMlp(model.decoder);
    const D = model.outputDim;
    const d = model.latentDim;
    const x = tf.tensor2d(
      Float32Array.from({ length: n * D }, () => rng.normal()),
      [n, D],
    );
    const adam = new Adam({ lr: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const times = time(opts.naiveSteps, () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const dec = session.variable("decoder");
          const psi = (z: tf.Tensor): tf.Tensor => mlpForward(tf, decoderNet, dec, z).y;
          const { z } = session.encode(x);
          const recon = tf.mean(tf.square(tf.sub(psi(z), x)));
          const zc = stopGradient(z);
          const { J, H, T3 } = nestedDerivatives(psi, zc, D, d, routeJetOrder(route));
          const { R, sqrtdetg } = naiveScalarCurvature(J, H, T3, D, d);
          return tf.add(recon, tf.mul(opts.lambda, tf.mean(tf.mul(tf.square(R), sqrtdetg)))) as tf.Scalar;
        }, session.trainable());
        adamStep(adam, session, grads);
        value.dataSync();
      }),
    );
    const ms = median(times);
    rows.push({ backend, method: "nested-autograd", route, batch: n, steps: opts.naiveSteps, msPerStep: ms, usPerPoint: (ms * 1000) / n });
    log(`${backend} nested autograd route ${route.toUpperCase()}: ${ms.toFixed(1)} ms/step, ${((ms * 1000) / n).toFixed(1)} µs/point`);
    x.dispose();
    adam.dispose();
    session.dispose();
  };
  // Generated kernels first, with tfjs's stock gradients; then nested autograd, which needs the
  // re-registered (recomputing) gradients of tanh & co.
  for (const backend of opts.backends) {
    await useBackend(backend);
    for (const route of opts.routes) await generated(backend, route);
  }
  if (opts.naiveSteps > 0) {
    installHigherOrderGradients();
    for (const backend of opts.backends) {
      await useBackend(backend);
      for (const route of opts.routes) await naive(backend, route);
    }
  }
  return rows;
}

/** The bench's table: one line per backend, route and method, with the generated kernels' speed-ups. */
export function formatBench(rows: readonly BenchRow[]): string {
  const lines = ["backend  route  method            ms/step   µs/point   vs nested (same route)   vs nested route A"];
  for (const r of rows) {
    const base = (route: Route) => rows.find((o) => o.backend === r.backend && o.route === route && o.method === "nested-autograd");
    const same = base(r.route);
    const refA = base("a");
    const fmt = (b: BenchRow | undefined): string => (r.method === "generated" && b ? `${(b.msPerStep / r.msPerStep).toFixed(1)}×` : "");
    lines.push(
      `${r.backend.padEnd(8)} ${r.route.toUpperCase().padEnd(6)} ${r.method.padEnd(17)} ${r.msPerStep.toFixed(1).padStart(8)} ${r.usPerPoint.toFixed(1).padStart(10)}   ${fmt(same).padStart(22)}   ${fmt(refA).padStart(17)}`,
    );
  }
  return lines.join("\n");
}
