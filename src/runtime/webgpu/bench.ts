/**
 * `ricci-gen bench --backend webgpu`: time per point of the curvature R and of a training step on the
 * curvature loss (forward products, assembly, adjoint products, weight reductions, Adam) for decoders
 * at several batch sizes; for a model with an encoder also the whole autoencoder training step
 * (encoder, reconstruction and curvature); and per kernel, at the largest batch, the time and
 * GFLOP/s of every dispatch of the step, each replayed alone. GFLOP/s count the kernels' own work
 * (two per multiply-add of the products and Gram sums, one per IR node of the scalar blocks; see
 * `tiledFlops`); the FMA micro-kernel measured first in the same run (`ceilingGflops`) is the
 * yardstick. Times are medians of wall-clock submit→completion (`onSubmittedWorkDone`), including
 * the upload of the points and excluding compilation and reading results back. The adapter is named
 * in the output, and a software adapter (lavapipe) is flagged.
 */
import {
  tileCurvaturePlan,
  type Route,
  fmaCeilingKernel,
  fmaFlops,
  FMA_WORKGROUP,
  LOAD_PROBE_ROWS,
  loadProbeFlops,
  loadProbeKernel,
  type ProbeIndexing,
  reductionFlops,
  tiledFlops,
  type TiledPlan,
  type UniformValues,
  type WgslKernel,
} from "../../emit/facade.js";
import type { Model, NamedActivation } from "../../model/types.js";
import { initialParams } from "../../model/params.js";
import { Rng } from "../../util/random.js";
import { acquireGpu, type GpuContext } from "./device.js";
import { WebGpuDecoder } from "./decoder.js";
import { KernelRunner } from "./kernels.js";
import { WebGpuAutoencoder } from "./autoencoder.js";
import { createStorageBuffer } from "./buffers.js";
import { deviceTileConfig } from "./tiled.js";

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

/** A model with an encoder: the whole autoencoder training step (λ_recon = 1, λ_curv = 0.1, R²). */
export interface WebGpuAutoencoderRow {
  model: string;
  route: Route;
  batch: number;
  stepMs: number;
  stepNsPerPoint: number;
  flopsPerStep: number;
  stepGflops: number;
  /** The FMA micro-kernel re-measured right before this row (on a shared CPU the load drifts). */
  ceilingGflops: number;
  /** stepGflops / ceilingGflops of this row. */
  ofCeiling: number;
}

/** One kernel of a step, every dispatch of it replayed alone (median of the repetitions, summed). */
export interface WebGpuKernelRow {
  model: string;
  route: Route;
  batch: number;
  /** "decoder step" (curvature loss only) or "autoencoder step". */
  step: string;
  kernel: string;
  dispatches: number;
  ms: number;
  flops: number;
  gflops: number;
}

export interface WebGpuBenchResult {
  adapter: string;
  software: boolean;
  /** The FMA micro-kernel's rate in this run, GFLOP/s. */
  ceilingGflops: number;
  /** The weight-load probe at the first model's curvature tile (null when no model has an MLP decoder). */
  loadProbe: LoadProbe | null;
  rows: WebGpuBenchRow[];
  autoencoder: WebGpuAutoencoderRow[];
  kernels: WebGpuKernelRow[];
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

/** The two yardstick decoders (README, Performance): 2-64-64-64-3 and 2-128-128-128-784, tanh, linear output. */
export function yardstickDecoders(activation: NamedActivation = "tanh"): Model[] {
  const make = (name: string, hidden: number[], D: number): Model => ({
    name,
    latentDim: 2,
    outputDim: D,
    decoder: {
      type: "mlp",
      inputDim: 2,
      torusEmbedding: false,
      layers: [
        ...hidden.map((units) => ({ units, activation: { kind: "named" as const, name: activation } })),
        { units: D, activation: { kind: "named", name: "linear" } },
      ],
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

/**
 * GFLOP/s of a micro-kernel whose work grows with `iterations`: iterations doubled until a dispatch
 * takes ≥ 200 ms, then the median of 3.
 */
async function microKernelRate(
  runner: KernelRunner,
  kernel: WgslKernel,
  groups: number,
  buffers: Record<string, GPUBuffer>,
  flops: (iterations: number) => number,
  values: UniformValues = {},
): Promise<number> {
  await runner.prepare(kernel);
  const once = (iterations: number) => runner.run((pass) => runner.dispatch(pass, kernel, buffers, { ...values, iterations }, [groups]));
  let iterations = 256;
  for (;;) {
    const t0 = performance.now();
    await once(iterations);
    if (performance.now() - t0 >= 200 || iterations >= 1 << 22) break;
    iterations *= 2;
  }
  const ms = await timeIt(3, () => once(iterations));
  return flops(iterations) / (ms * 1e6);
}

const microGroups = (software: boolean): number => (software ? 64 : 16384);

/** The FMA micro-kernel's GFLOP/s. */
export async function measureCeiling(runner: KernelRunner, software: boolean): Promise<number> {
  const groups = microGroups(software);
  const out = createStorageBuffer(runner.device, groups * FMA_WORKGROUP * 4, { label: "fma.out" });
  try {
    return await microKernelRate(runner, fmaCeilingKernel(), groups, { out }, (it) => fmaFlops(groups * FMA_WORKGROUP, it), {
      m: 0.999,
      c: 0.001,
    });
  } finally {
    out.destroy();
  }
}

/** The weight-load probe (wgsl-bench.ts) at one product's register tile. */
export interface LoadProbe {
  units: number;
  columns: number;
  constantGflops: number;
  loopGflops: number;
}

/**
 * Both variants of the weight-load probe for a tile of `units` × `columns` accumulators. The weight
 * buffer repeats one tile, so that both variants compute the same sums (the test checks this).
 */
export async function measureLoadProbe(runner: KernelRunner, software: boolean, units: number, columns: number): Promise<LoadProbe> {
  const groups = microGroups(software);
  const tile = Float32Array.from({ length: units * LOAD_PROBE_ROWS }, (_, j) => 1e-3 * (1 + (j % units)));
  const w = createStorageBuffer(runner.device, tile, { label: "probe.w" });
  const out = createStorageBuffer(runner.device, groups * FMA_WORKGROUP * 4, { label: "probe.out" });
  const rate = (indexing: ProbeIndexing) =>
    microKernelRate(runner, loadProbeKernel(units, columns, indexing), groups, { w, out }, (it) =>
      loadProbeFlops(units, columns, groups * FMA_WORKGROUP, it),
    );
  try {
    return { units, columns, constantGflops: await rate("constant"), loopGflops: await rate("loop") };
  } finally {
    w.destroy();
    out.destroy();
  }
}

/** One line on the probe (docs/engines.md says what a large ratio means). */
export function describeLoadProbe(p: LoadProbe): string {
  return (
    `weight-load probe (${p.units} weights × ${p.columns} columns per iteration, this run): constant indices ${p.constantGflops.toFixed(1)} GFLOP/s, ` +
    `loop-dependent indices ${p.loopGflops.toFixed(1)} GFLOP/s (${(p.constantGflops / p.loopGflops).toFixed(1)}× slower)`
  );
}

interface Captured {
  kernel: WgslKernel;
  buffers: Readonly<Record<string, GPUBuffer>>;
  values: UniformValues;
  groups: readonly [number, number?, number?];
}

/**
 * The dispatches `work` records, captured instead of submitted (nothing runs on the device while
 * capturing; buffer reads still do).
 */
async function capture(runner: KernelRunner, work: () => Promise<unknown>): Promise<Captured[]> {
  const calls: Captured[] = [];
  const { dispatch, run } = runner;
  runner.dispatch = (_pass, kernel, buffers, values, groups) => void calls.push({ kernel, buffers, values, groups });
  runner.run = async (record) => record(null as unknown as GPUComputePassEncoder, null as unknown as GPUCommandEncoder);
  try {
    await work();
  } finally {
    runner.dispatch = dispatch;
    runner.run = run;
  }
  return calls;
}

/** FLOPs of one captured dispatch (0 for bookkeeping kernels: copies, sums, Adam). */
function callFlops(c: Captured, perPoint: Map<string, number>): number {
  const v = c.values as Record<string, number>;
  if (/^gradReduce/.test(c.kernel.name)) return reductionFlops({ n: v["n"]!, cols: v["cols"]!, units: v["units"]!, fanIn: v["fanIn"]! });
  const f = perPoint.get(c.kernel.name);
  return f === undefined ? 0 : f * v["n"]!;
}

const flopMap = (plans: TiledPlan[], route: Route): Map<string, number> => new Map(plans.flatMap((p) => [...tiledFlops(p, route)]));

/** Each captured dispatch replayed alone (median of `steps`), summed per kernel. */
async function profile(
  runner: KernelRunner,
  calls: Captured[],
  perPoint: Map<string, number>,
  steps: number,
  base: Omit<WebGpuKernelRow, "kernel" | "dispatches" | "ms" | "flops" | "gflops">,
): Promise<WebGpuKernelRow[]> {
  const rows = new Map<string, WebGpuKernelRow>();
  for (const c of calls) {
    const ms = await timeIt(steps, () => runner.run((pass) => runner.dispatch(pass, c.kernel, c.buffers, c.values, c.groups)));
    const row = rows.get(c.kernel.name) ?? { ...base, kernel: c.kernel.name, dispatches: 0, ms: 0, flops: 0, gflops: 0 };
    row.dispatches++;
    row.ms += ms;
    row.flops += callFlops(c, perPoint);
    rows.set(c.kernel.name, row);
  }
  for (const r of rows.values()) r.gflops = r.flops / (r.ms * 1e6);
  return [...rows.values()];
}

export async function benchWebGpu(opts: WebGpuBenchOptions): Promise<WebGpuBenchResult> {
  const log = opts.log ?? (() => {});
  const ctx = opts.ctx ?? (await acquireGpu());
  const runner = new KernelRunner(ctx);
  const res: WebGpuBenchResult = {
    adapter: ctx.describe(),
    software: ctx.software,
    ceilingGflops: 0,
    loadProbe: null,
    rows: [],
    autoencoder: [],
    kernels: [],
  };
  log(`WebGPU adapter: ${ctx.describe()}${ctx.software ? " — a CPU implementation: these are not GPU numbers" : ""}`);
  try {
    res.ceilingGflops = await measureCeiling(runner, ctx.software);
    log(`FMA ceiling (micro-kernel, this run): ${res.ceilingGflops.toFixed(1)} GFLOP/s`);
    const probed = opts.models.find((m) => m.decoder.type === "mlp");
    if (probed) {
      const plan = tileCurvaturePlan(probed, opts.routes[0] ?? "b", deviceTileConfig(ctx.device));
      res.loadProbe = await measureLoadProbe(runner, ctx.software, plan.unitTile, plan.columns);
      log(describeLoadProbe(res.loadProbe));
    }
    for (const model of opts.models)
      for (const route of opts.routes) {
        await benchDecoder(ctx, runner, model, route, opts, res, log);
        if (model.encoder && model.decoder.type === "mlp" && !opts.curvatureOnly)
          await benchAutoencoder(ctx, runner, model, route, opts, res, log);
      }
  } finally {
    runner.destroy();
    if (!opts.ctx) ctx.destroy();
  }
  return res;
}

async function benchDecoder(
  ctx: GpuContext,
  runner: KernelRunner,
  model: Model,
  route: Route,
  opts: WebGpuBenchOptions,
  res: WebGpuBenchResult,
  log: (line: string) => void,
): Promise<void> {
  const t0 = performance.now();
  const dec = await WebGpuDecoder.create(ctx, model, { route, runner });
  const train = !opts.curvatureOnly && dec.set.training !== null;
  if (train) await dec.prepareTraining();
  log(`${model.name} route ${route.toUpperCase()}: kernels compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (model.decoder.type === "mlp") dec.setParams(initialParams(model.decoder, model.decoderWeights));
  const perPoint = dec.tiled ? flopMap([dec.tiled.mlp.kernels.plan], route) : new Map([[dec.set.curvature.name, dec.set.flops.curvature]]);
  try {
    for (const batch of opts.batches) {
      const rng = new Rng(batch);
      const z = Float32Array.from({ length: batch * model.latentDim }, () => 2 * rng.uniform() - 1);
      const rFlops = (await capture(runner, () => dec.dispatchCurvature(z, batch))).reduce((s, c) => s + callFlops(c, perPoint), 0);
      const rMs = await timeIt(opts.steps, () => dec.dispatchCurvature(z, batch));
      // lr 0: the parameters stay put, so every repetition times the same work.
      const step = () => dec.trainStep(z, batch, { lr: 0 }, false);
      const stepCalls = train ? await capture(runner, step) : [];
      const stepFlops = stepCalls.reduce((s, c) => s + callFlops(c, perPoint), 0);
      const stepMs = train ? await timeIt(opts.steps, step) : null;
      const row: WebGpuBenchRow = {
        model: model.name,
        decoder: describeDecoder(model),
        route,
        batch,
        chunk: dec.chunk,
        rMs,
        rNsPerPoint: (rMs * 1e6) / batch,
        rGflops: rFlops / (rMs * 1e6),
        stepMs,
        stepNsPerPoint: stepMs === null ? null : (stepMs * 1e6) / batch,
        stepGflops: stepMs === null ? null : stepFlops / (stepMs * 1e6),
        flopsPerPoint: { curvature: rFlops / batch, gradient: train ? stepFlops / batch : null },
      };
      res.rows.push(row);
      log(formatRow(row));
      if (train && batch === Math.max(...opts.batches))
        res.kernels.push(
          ...(await profile(runner, stepCalls, perPoint, opts.steps, { model: model.name, route, batch, step: "decoder step" })),
        );
    }
  } finally {
    dec.destroy();
  }
}

/** The TorusAE-style training step: encoder, reconstruction and λ_curv·R² at the encoded batch, then Adam (lr 0). */
async function benchAutoencoder(
  ctx: GpuContext,
  runner: KernelRunner,
  model: Model,
  route: Route,
  opts: WebGpuBenchOptions,
  res: WebGpuBenchResult,
  log: (line: string) => void,
): Promise<void> {
  const ae = await WebGpuAutoencoder.create(ctx, model, { recon: 1, curv: 0.1, route, detEpsilon: 1e-6 }, { runner });
  try {
    if (model.encoder && model.decoder.type === "mlp")
      ae.setParams(initialParams(model.encoder, model.encoderWeights), initialParams(model.decoder, model.decoderWeights));
    const perPoint = flopMap([...ae.tiledPlans, ae.decoder.tiled!.mlp.kernels.plan], route);
    for (const batch of opts.batches) {
      const rng = new Rng(batch + 7);
      const x = Float32Array.from({ length: batch * model.outputDim }, () => rng.uniform());
      const step = async () => {
        await ae.evaluateStep(x, batch);
        await ae.applyAdam({ lr: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      };
      const calls = await capture(runner, step);
      const flops = calls.reduce((s, c) => s + callFlops(c, perPoint), 0);
      const ceiling = await measureCeiling(runner, ctx.software);
      const stepMs = await timeIt(opts.steps, step);
      const gflops = flops / (stepMs * 1e6);
      const row = {
        model: model.name,
        route,
        batch,
        stepMs,
        stepNsPerPoint: (stepMs * 1e6) / batch,
        flopsPerStep: flops,
        stepGflops: gflops,
        ceilingGflops: ceiling,
        ofCeiling: gflops / ceiling,
      };
      res.autoencoder.push(row);
      log(
        `${model.name} autoencoder step, route ${route.toUpperCase()}, batch ${batch}: ${stepMs.toFixed(1)} ms, ${gflops.toFixed(2)} GFLOP/s = ${(100 * row.ofCeiling).toFixed(0)}% of the FMA ceiling (${ceiling.toFixed(1)} GFLOP/s, re-measured)`,
      );
      if (batch === Math.max(...opts.batches))
        res.kernels.push(
          ...(await profile(runner, calls, perPoint, opts.steps, { model: model.name, route, batch, step: "autoencoder step" })),
        );
    }
  } finally {
    ae.destroy();
  }
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
  const lines = [
    `adapter: ${res.adapter}${note}`,
    `FMA ceiling (micro-kernel, this run): ${res.ceilingGflops.toFixed(1)} GFLOP/s`,
    ...(res.loadProbe ? [describeLoadProbe(res.loadProbe)] : []),
    head,
    ...res.rows.map(formatRow),
  ];
  if (res.autoencoder.length) {
    lines.push(
      "",
      "autoencoder training step (encoder + reconstruction + λ_curv·R², Adam)",
      `${"model".padEnd(16)}  route   batch   step/batch   step/point  GFLOP/s  of ceiling`,
    );
    for (const r of res.autoencoder)
      lines.push(
        `${r.model.padEnd(16)}  ${r.route.toUpperCase().padEnd(5)}  ${String(r.batch).padStart(6)}  ${`${fmt(r.stepMs, 2)} ms`.padStart(11)}  ${`${fmt(r.stepNsPerPoint)} ns`.padStart(11)}  ${fmt(r.stepGflops, 2).padStart(7)}  ${`${(100 * r.ofCeiling).toFixed(0)}%`.padStart(10)}`,
      );
  }
  if (res.kernels.length) {
    lines.push(
      "",
      "per kernel, at the largest batch (each dispatch replayed alone)",
      `${"model".padEnd(16)}  route  ${"step".padEnd(16)}  ${"kernel".padEnd(22)}  calls        ms  GFLOP/s  of ceiling`,
    );
    for (const k of res.kernels)
      lines.push(
        `${k.model.padEnd(16)}  ${k.route.toUpperCase().padEnd(5)}  ${k.step.padEnd(16)}  ${k.kernel.padEnd(22)}  ${String(k.dispatches).padStart(5)}  ${k.ms.toFixed(2).padStart(8)}  ${fmt(k.gflops, 2).padStart(7)}  ${k.flops ? `${((100 * k.gflops) / res.ceilingGflops).toFixed(0)}%` : "—"}`.trimEnd(),
      );
  }
  return lines.join("\n");
}
