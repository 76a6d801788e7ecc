/**
 * `bench --backends onnx`: the full training step on the onnx engine (graph, gradient and Adam, as in
 * `train`), timed per point at a given thread count, with its GFLOP/s from the plan's FLOP count
 * beside the rate of the plan's largest matrix product run alone in ONNX Runtime in the same run
 * (the ceiling the step can approach).
 */
import { emitOnnx, type Route, planFlops, TensorPlan } from "../../emit/facade.js";
import { Rng } from "../../util/random.js";
import { Adam } from "../train/adam.js";
import { useBackend } from "../train/backend.js";
import { parseTrainConfig } from "../train/config.js";
import { OnnxEngine } from "../train/engines/onnx-engine.js";
import { buildSession, loadTrainingModel } from "../train/session.js";
import { createSession, loadOrt } from "./ort.js";

export interface OnnxBenchOptions {
  modelPath: string;
  batch: number;
  routes: Route[];
  steps: number;
  threads: number;
  lambda: number;
  seed: number;
}

export interface OnnxBenchRow {
  backend: "onnx";
  method: "generated";
  route: Route;
  batch: number;
  threads: number;
  steps: number;
  msPerStep: number;
  usPerPoint: number;
  /** FLOPs of one step per point (plan count: matrix products + elementwise). */
  flopsPerPoint: number;
  gflops: number;
  /** The plan's largest matrix product [m, k, n] timed alone, and its rate. */
  matmulShape: [number, number, number];
  matmulGflops: number;
  /** gflops / matmulGflops. */
  fractionOfMatmul: number;
  /** µs per point if every FLOP of the step ran at the MatMul rate: the floor of any engine doing the same FLOPs on this CPU. */
  floorUsPerPoint: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timeAsync(steps: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  await fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** GFLOP/s of one [m, k] × [k, n] product in ONNX Runtime at `threads`. */
export async function matmulCeiling(shape: [number, number, number], threads: number, steps: number): Promise<number> {
  const [m, k, n] = shape;
  const p = new TensorPlan();
  const a = p.input("a", [m, k]);
  const b = p.input("b", [k, n]);
  const c = p.gemm(a, b);
  const session = await createSession(
    emitOnnx(p, { name: "matmul", docString: "ceiling", outputs: [{ name: "c", node: c }] }),
    threads,
    "the MatMul ceiling graph",
  );
  const ort = await loadOrt();
  const rng = new Rng(1);
  const feeds = {
    a: new ort.Tensor(
      "float32",
      Float32Array.from({ length: m * k }, () => rng.normal()),
      [m, k],
    ),
    b: new ort.Tensor(
      "float32",
      Float32Array.from({ length: k * n }, () => rng.normal()),
      [k, n],
    ),
  };
  const ms = await timeAsync(Math.max(steps, 5), async () => void (await session.run(feeds)));
  await session.release();
  return (2 * m * k * n) / (ms * 1e6);
}

export async function benchOnnx(opts: OnnxBenchOptions, log: (line: string) => void = () => {}): Promise<OnnxBenchRow[]> {
  await useBackend("wasm");
  const rows: OnnxBenchRow[] = [];
  for (const route of opts.routes) {
    const config = parseTrainConfig(
      {
        name: "bench",
        model: opts.modelPath,
        dataset: { kind: "swiss-roll" },
        loss: { curv: opts.lambda, route },
        epochs: 1,
        batch: opts.batch,
        seed: opts.seed,
        backend: "onnx",
      },
      { baseDir: process.cwd() },
    );
    const { session } = await buildSession(config, loadTrainingModel(config));
    const optimisers = {
      model: new Adam({ lr: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }),
      potential: new Adam({ lr: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }),
    };
    const engine = await OnnxEngine.create(session, config, optimisers, opts.threads);
    await engine.begin();
    const n = opts.batch;
    const rng = new Rng(opts.seed);
    const batch = Float32Array.from({ length: n * session.model.outputDim }, () => rng.normal());
    const ms = await timeAsync(
      opts.steps,
      async () => void (await engine.step({ batch, n, step: 1, measure: null, regularizer: null, anchor: null })),
    );
    const flops = planFlops(
      engine.lowered.plan,
      engine.lowered.outputs.map((o) => o.node),
      { n },
    );
    const total = flops.matmul + flops.elementwise;
    const gflops = total / (ms * 1e6);
    const matmulGflops = await matmulCeiling(flops.largest, opts.threads, opts.steps);
    rows.push({
      backend: "onnx",
      method: "generated",
      route,
      batch: n,
      threads: opts.threads,
      steps: opts.steps,
      msPerStep: ms,
      usPerPoint: (ms * 1000) / n,
      flopsPerPoint: total / n,
      gflops,
      matmulShape: flops.largest,
      matmulGflops,
      fractionOfMatmul: gflops / matmulGflops,
      floorUsPerPoint: (total / n / (matmulGflops * 1e9)) * 1e6,
    });
    log(
      `onnx route ${route.toUpperCase()}, ${opts.threads} thread(s): ${ms.toFixed(1)} ms/step, ${((ms * 1000) / n).toFixed(1)} µs/point, ` +
        `${gflops.toFixed(1)} GFLOP/s of ${(total / n / 1e6).toFixed(2)} MFLOP/point; MatMul ${flops.largest.join("×")} alone ${matmulGflops.toFixed(1)} GFLOP/s`,
    );
    engine.destroy();
    optimisers.model.dispose();
    optimisers.potential.dispose();
    session.dispose();
  }
  return rows;
}

export function formatOnnxBench(rows: readonly OnnxBenchRow[]): string {
  const header = "backend  route  batch  threads  ms/step  µs/point  MFLOP/point  GFLOP/s  MatMul GFLOP/s  fraction";
  const lines = rows.map((r) =>
    [
      r.backend.padEnd(7),
      r.route.toUpperCase().padStart(5),
      String(r.batch).padStart(6),
      String(r.threads).padStart(8),
      r.msPerStep.toFixed(1).padStart(8),
      r.usPerPoint.toFixed(1).padStart(9),
      (r.flopsPerPoint / 1e6).toFixed(2).padStart(12),
      r.gflops.toFixed(1).padStart(8),
      `${r.matmulGflops.toFixed(1)} (${r.matmulShape.join("×")})`.padStart(15),
      `${(100 * r.fractionOfMatmul).toFixed(0)}%`.padStart(9),
    ].join("  "),
  );
  return [header, ...lines].join("\n");
}

/**
 * The onnx step against the PyTorch peer measured in the same run at the same thread count: per
 * point, the full autoencoder step (encoder, reconstruction, ∫R², backward, Adam) on both sides, and
 * PyTorch's curvature-only step (no encoder, no optimiser) for reference.
 */
export function formatOnnxVsPeer(rows: readonly OnnxBenchRow[], peer: import("../peers/torch.js").TorchPeerResult): string {
  if (!peer.available) return `no PyTorch comparison: ${peer.note}`;
  const lines = ["ricci-gen onnx step vs PyTorch (same machine, same run, per point):"];
  for (const r of rows) {
    for (const p of peer.rows.filter((x) => x.batch === r.batch && (x.threads === null || x.threads === r.threads))) {
      const ae = p.aeStepMs === null ? null : (p.aeStepMs * 1000) / p.batch;
      const step = p.stepMs === null ? null : (p.stepMs * 1000) / p.batch;
      const ratio = (x: number | null, us = r.usPerPoint) => (x === null ? "n/a" : `${(x / us).toFixed(1)}×`);
      lines.push(
        `  route ${r.route.toUpperCase()} ${r.usPerPoint.toFixed(0)} µs vs ${p.method} (${p.family}): ` +
          `full AE step ${ae === null ? "n/a" : `${ae.toFixed(0)} µs`} → ${ratio(ae)} faster; curvature-only step ${step === null ? "n/a" : `${step.toFixed(0)} µs`} → ${ratio(step)}` +
          `; at the FLOP floor (${r.floorUsPerPoint.toFixed(0)} µs: every FLOP at the MatMul rate) the full AE step would be ${ratio(ae, r.floorUsPerPoint)}`,
      );
    }
  }
  return lines.join("\n");
}
