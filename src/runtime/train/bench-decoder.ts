/**
 * The tfjs path timed on the same work as `bench --backend webgpu` (webgpu/bench.ts): for a decoder
 * alone, R per point (the generated tfjs kernels: jets, then route A or B) and a training step on
 * L = mean R²√det g (one tfjs gradient with respect to the decoder's parameters, then Adam), so that
 * the WGSL kernels, the tfjs kernels and the PyTorch peer appear side by side in one run. GFLOP/s use
 * the same FLOP count per point as the WGSL rows, for comparability.
 */
import * as tf from "@tensorflow/tfjs";
import type { Route } from "../../emit/facade.js";
import type { Model } from "../../model/types.js";
import { initialParams } from "../../model/params.js";
import { Rng } from "../../util/random.js";
import { Adam } from "./adam.js";
import { useBackend } from "./backend.js";
import type { TfjsBackendName } from "./config.js";
import { curvatureFunctional, type CurvatureSetup } from "./losses.js";
import { emitTrainingKernels, loadTfjsKernelModule } from "./tfjs-kernels.js";

export interface TfjsDecoderBenchRow {
  backend: string;
  model: string;
  route: Route;
  batch: number;
  rMs: number;
  /** null when the step was not timed (batch above `maxStepBatch`). */
  stepMs: number | null;
}

export interface TfjsDecoderBenchOptions {
  models: Model[];
  routes: Route[];
  batches: number[];
  backend: TfjsBackendName;
  steps: number;
  /** Larger batches are timed for R only (a tfjs step holds every intermediate for the gradient). */
  maxStepBatch?: number;
  /** Skip batches above this (tfjs on the CPU is slow; default: no limit). */
  maxBatch?: number;
  log?: (line: string) => void;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function time(steps: number, f: () => void): number {
  f(); // warm-up: kernel set-up, first allocation
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

export async function benchTfjsDecoders(opts: TfjsDecoderBenchOptions): Promise<TfjsDecoderBenchRow[]> {
  const log = opts.log ?? (() => {});
  const backend = await useBackend(opts.backend);
  const rows: TfjsDecoderBenchRow[] = [];
  for (const model of opts.models) {
    if (model.decoder.type !== "mlp") continue;
    const params = tf.variable(tf.tensor1d(Float32Array.from(initialParams(model.decoder, model.decoderWeights))));
    for (const route of opts.routes) {
      const decoder = await loadTfjsKernelModule(emitTrainingKernels(model, route));
      const setup: CurvatureSetup = { decoder, potential: null, route, functional: "R2", latentDim: model.latentDim, detEpsilon: 1e-6 };
      for (const batch of opts.batches) {
        if (opts.maxBatch !== undefined && batch > opts.maxBatch) continue;
        const rng = new Rng(batch);
        const z = tf.tensor2d(
          Float32Array.from({ length: batch * model.latentDim }, () => 2 * rng.uniform() - 1),
          [batch, model.latentDim],
        );
        const rMs = time(opts.steps, () =>
          tf.tidy(() => {
            curvatureFunctional(setup, decoder.weights(tf, params), null, null, z, 1 / batch).R.dataSync();
          }),
        );
        let stepMs: number | null = null;
        if (opts.maxStepBatch === undefined || batch <= opts.maxStepBatch) {
          // lr 0: the parameters stay put, so every repetition times the same work.
          const adam = new Adam({ lr: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
          stepMs = time(opts.steps, () =>
            tf.tidy(() => {
              const { value, grads } = tf.variableGrads(
                () => curvatureFunctional(setup, decoder.weights(tf, params), null, null, z, 1 / batch).value as tf.Scalar,
                [params],
              );
              adam.apply(new Map([["decoder", params]]), new Map([["decoder", grads[params.name]!]]));
              value.dataSync();
            }),
          );
          adam.dispose();
        }
        z.dispose();
        rows.push({ backend, model: model.name, route, batch, rMs, stepMs });
        log(
          `tfjs ${backend} ${model.name} route ${route.toUpperCase()} batch ${batch}: R ${rMs.toFixed(1)} ms, step ${stepMs === null ? "—" : `${stepMs.toFixed(1)} ms`}`,
        );
      }
    }
    params.dispose();
  }
  return rows;
}

/** The tfjs rows as a table, per point, with GFLOP/s against the WGSL kernels' FLOP count for the same model and route. */
export function formatTfjsDecoderBench(
  rows: readonly TfjsDecoderBenchRow[],
  flops: readonly { model: string; route: Route; flopsPerPoint: { curvature: number; gradient: number | null } }[],
): string {
  const f = (x: number | null, digits = 1): string => (x === null ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(digits));
  const lines = [
    `tfjs path (generated tfjs kernels, backend ${rows[0]?.backend ?? "—"}; FLOPs as counted for the WGSL kernels)`,
    [
      "model".padEnd(24),
      "route",
      "batch".padStart(6),
      "R / point".padStart(11),
      "GFLOP/s".padStart(8),
      "step/point".padStart(11),
      "GFLOP/s".padStart(8),
    ].join("  "),
  ];
  for (const r of rows) {
    const fl = flops.find((x) => x.model === r.model && x.route === r.route)?.flopsPerPoint;
    const rNs = (r.rMs * 1e6) / r.batch;
    const stepNs = r.stepMs === null ? null : (r.stepMs * 1e6) / r.batch;
    lines.push(
      [
        r.model.padEnd(24),
        r.route.toUpperCase().padEnd(5),
        String(r.batch).padStart(6),
        `${f(rNs)} ns`.padStart(11),
        f(fl ? fl.curvature / rNs : null).padStart(8),
        `${f(stepNs)} ns`.padStart(11),
        f(fl && fl.gradient !== null && stepNs !== null ? fl.gradient / stepNs : null).padStart(8),
      ].join("  "),
    );
  }
  return lines.join("\n");
}
