/**
 * `ricci-gen bench --backend webgpu`: time per point of the curvature R (the curvature kernel and
 * the mean-loss reduction) and of a training step on the curvature loss (forward with tape,
 * backward, weight-gradient reduction, Adam) for decoders at several batch sizes, with the achieved
 * GFLOP/s against the kernels' own FLOP count (one per IR node, two per multiply-add; see
 * `curvatureFlops` / `gradientFlops`). Times are medians of wall-clock submit→completion
 * (`onSubmittedWorkDone`), including the upload of the points and excluding compilation and reading
 * results back. The adapter is named in the output, and a software adapter (lavapipe) is flagged.
 */
import type { Route } from "../../ir/kernels.js";
import type { Model, NamedActivation } from "../../model/types.js";
import { initialParams } from "../../model/params.js";
import { Rng } from "../../util/random.js";
import { acquireGpu, type GpuContext } from "./device.js";
import { WebGpuDecoder } from "./decoder.js";
import { KernelRunner } from "./kernels.js";

export interface WebGpuBenchRow {
  model: string;
  /** e.g. 2-64-64-64-3 tanh. */
  decoder: string;
  route: Route;
  batch: number;
  /** Points per training dispatch (tape size limit). */
  chunk: number;
  rMs: number;
  rNsPerPoint: number;
  rGflops: number;
  stepMs: number | null;
  stepNsPerPoint: number | null;
  stepGflops: number | null;
  flopsPerPoint: { curvature: number; gradient: number | null };
}

export interface WebGpuBenchResult {
  adapter: string;
  software: boolean;
  rows: WebGpuBenchRow[];
}

export interface WebGpuBenchOptions {
  models: Model[];
  batches: number[];
  routes: Route[];
  /** Timed repetitions (median reported) after one warm-up. */
  steps: number;
  /** Skip training steps (R only). */
  curvatureOnly?: boolean;
  ctx?: GpuContext;
  log?: (line: string) => void;
}

/** The two decoders of DESIGN §6: 2-64-64-64-3 and 2-128-128-128-784, tanh, linear output. */
export function yardstickDecoders(activation: NamedActivation = "tanh"): Model[] {
  const make = (name: string, hidden: number[], D: number): Model => ({
    name,
    latentDim: 2,
    outputDim: D,
    decoder: {
      type: "mlp",
      inputDim: 2,
      torusEmbedding: false,
      layers: [...hidden.map((units) => ({ units, activation: { kind: "named" as const, name: activation } })), { units: D, activation: { kind: "named", name: "linear" } }],
    },
    decoderWeights: { kind: "seed", seed: 0 },
    encoder: null,
    encoderWeights: { kind: "seed", seed: 1 },
    sourceHash: "bench",
  });
  return [make("2-64-64-64-3", [64, 64, 64], 3), make("2-128-128-128-784", [128, 128, 128], 784)];
}

export function describeDecoder(model: Model): string {
  const dec = model.decoder;
  if (dec.type === "analytic") return `analytic ${model.latentDim}→${model.outputDim}`;
  const widths = [dec.torusEmbedding ? `${model.latentDim}(torus)` : `${model.latentDim}`, ...dec.layers.map((l) => String(l.units))];
  const acts = [...new Set(dec.layers.slice(0, -1).map((l) => (l.activation.kind === "named" ? l.activation.name : l.activation.formula)))];
  return `${widths.join("-")} ${acts.join("/")}`;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

async function timeIt(steps: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function benchWebGpu(opts: WebGpuBenchOptions): Promise<WebGpuBenchResult> {
  const log = opts.log ?? (() => {});
  const ctx = opts.ctx ?? (await acquireGpu());
  const runner = new KernelRunner(ctx);
  const rows: WebGpuBenchRow[] = [];
  log(`WebGPU adapter: ${ctx.describe()}${ctx.software ? " — a CPU implementation: these are not GPU numbers" : ""}`);
  try {
    for (const model of opts.models) {
      for (const route of opts.routes) {
        const t0 = performance.now();
        const dec = await WebGpuDecoder.create(ctx, model, { route, runner });
        const train = !opts.curvatureOnly && dec.set.training !== null;
        if (train) await dec.prepareTraining();
        log(`${model.name} route ${route.toUpperCase()}: kernels compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        if (model.decoder.type === "mlp") dec.setParams(initialParams(model.decoder, model.decoderWeights));
        for (const batch of opts.batches) {
          const rng = new Rng(batch);
          const z = Float32Array.from({ length: batch * model.latentDim }, () => 2 * rng.uniform() - 1);
          const rMs = await timeIt(opts.steps, () => dec.dispatchCurvature(z, batch));
          // lr 0: the parameters stay put, so every repetition times the same work.
          const stepMs = train ? await timeIt(opts.steps, () => dec.trainStep(z, batch, { lr: 0 }, false)) : null;
          const { curvature, gradient } = dec.set.flops;
          const row: WebGpuBenchRow = {
            model: model.name,
            decoder: describeDecoder(model),
            route,
            batch,
            chunk: dec.chunk,
            rMs,
            rNsPerPoint: (rMs * 1e6) / batch,
            rGflops: (curvature * batch) / (rMs * 1e6),
            stepMs,
            stepNsPerPoint: stepMs === null ? null : (stepMs * 1e6) / batch,
            stepGflops: stepMs === null || gradient === null ? null : (gradient * batch) / (stepMs * 1e6),
            flopsPerPoint: dec.set.flops,
          };
          rows.push(row);
          log(formatRow(row));
        }
        dec.destroy();
      }
    }
  } finally {
    runner.destroy();
    if (!opts.ctx) ctx.destroy();
  }
  return { adapter: ctx.describe(), software: ctx.software, rows };
}

const fmt = (x: number | null, digits = 1): string => (x === null ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(digits));

function formatRow(r: WebGpuBenchRow): string {
  return [
    r.decoder.padEnd(24),
    r.route.toUpperCase().padEnd(5),
    String(r.batch).padStart(6),
    `${fmt(r.rMs, 2)} ms`.padStart(11),
    `${fmt(r.rNsPerPoint)} ns`.padStart(11),
    fmt(r.rGflops).padStart(8),
    `${fmt(r.stepMs, 2)} ms`.padStart(11),
    `${fmt(r.stepNsPerPoint)} ns`.padStart(11),
    fmt(r.stepGflops).padStart(8),
  ].join("  ");
}

/** A table with the adapter line first. */
export function formatWebGpuBench(res: WebGpuBenchResult): string {
  const head = [
    "decoder".padEnd(24),
    "route",
    "batch".padStart(6),
    "R / batch".padStart(11),
    "R / point".padStart(11),
    "GFLOP/s".padStart(8),
    "step/batch".padStart(11),
    "step/point".padStart(11),
    "GFLOP/s".padStart(8),
  ].join("  ");
  const note = res.software ? " (software: a CPU implementation of Vulkan, not a GPU)" : "";
  return [`adapter: ${res.adapter}${note}`, head, ...res.rows.map(formatRow)].join("\n");
}
