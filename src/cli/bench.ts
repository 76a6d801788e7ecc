/**
 * `ricci-gen bench`: speed, measured against peers in the same run.
 *
 * - default (CPU): the time of a training step per point with the generated tfjs kernels and with
 *   the same loss by nested tfjs autograd (the naive way), on the tfjs cpu/wasm backends;
 * - `--backend webgpu`: R and a training step per point with the generated WGSL kernels for the two
 *   yardstick decoders at batches 1k…64k, with GFLOP/s against the kernels' FLOP count;
 * - both: the PyTorch peer (peers/torch_ricci.py in this repository) on the same machine, when
 *   python3 with torch is present (`--no-peer` skips it).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { guarded } from "./errors.js";

interface BenchCliOptions {
  backend: string;
  model?: string;
  batch: string;
  batches: string;
  backends: string;
  routes: string;
  steps: string;
  naiveSteps: string;
  lambda: string;
  seed: string;
  peer: boolean | string;
  peerDevice: string;
  peerMethods: string;
  tfjs: boolean;
  tfjsBackend: string;
  tfjsMaxBatch: string;
  threads?: string;
  json?: boolean;
}

const positiveInt = (v: string, flag: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(flag, `must be an integer ≥ ${min}, got '${v}'`);
  return n;
};

const list = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

function parseRoutes(v: string): ("a" | "b")[] {
  const routes = list(v.toLowerCase());
  for (const r of routes) if (r !== "a" && r !== "b") throw new UserError("--routes", `unknown route '${r}' (use a, b)`);
  return routes as ("a" | "b")[];
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time R and a training step per point: generated kernels vs. nested autograd and the PyTorch peer, in one run")
    .option("--backend <name>", "cpu (tfjs cpu/wasm backends) or webgpu (generated WGSL)", "cpu")
    .option(
      "--model <file>",
      "model.json whose decoder and encoder are timed (cpu mode default: examples/swiss-roll.model.json; webgpu mode default: the two yardstick decoders)",
    )
    .option("--batch <n>", "cpu mode: points per step", "256")
    .option("--batches <list>", "webgpu mode: batch sizes", "1024,4096,16384,65536")
    .option(
      "--backends <list>",
      "cpu mode: comma-separated backends: onnx (the compiled training-step graph in ONNX Runtime) and tfjs's cpu, wasm, tfjs-webgpu, tensorflow",
      "onnx,wasm",
    )
    .option("--threads <n>", "cpu mode: threads of ONNX Runtime and of the PyTorch peer (default: every core)")
    .option("--routes <list>", "curvature routes: b, a or a,b", "b,a")
    .option("--steps <n>", "timed steps of the generated kernels (median reported)", "5")
    .option("--naive-steps <n>", "cpu mode: timed steps with nested autograd (0 skips it)", "2")
    .option("--lambda <x>", "cpu mode: λ_curv of the timed loss", "0.1")
    .option("--seed <n>", "seed of the random batch", "0")
    .option("--peer [script]", "the PyTorch peer script (default: $RICCI_TORCH_PEER, else peers/torch_ricci.py of this repository)")
    .option("--no-peer", "skip the PyTorch peer")
    .option(
      "--peer-device <d>",
      "device of the PyTorch peer: cpu or cuda (default: cuda in webgpu mode on a hardware adapter, else cpu)",
      "",
    )
    .option(
      "--peer-methods <list>",
      "peer methods: jacfwd3 (the reference research's three nested jacfwd, route A) and gauss (route B, the Gauss equation)",
      "jacfwd3,gauss",
    )
    .option("--no-tfjs", "webgpu mode: skip the tfjs path")
    .option("--tfjs-backend <name>", "webgpu mode: tfjs backend of the tfjs rows (cpu, wasm)", "wasm")
    .option("--tfjs-max-batch <n>", "webgpu mode: largest batch timed on the tfjs path (it is slow on a CPU)", "4096")
    .option("--json", "print the results as JSON instead of tables")
    .action(
      guarded(async (opts: BenchCliOptions) => {
        const run: BenchRun = {
          opts,
          out: (text) => void process.stdout.write(text + "\n"),
          log: opts.json ? () => {} : (line) => void process.stderr.write(`${line}\n`),
          routes: parseRoutes(opts.routes),
          steps: positiveInt(opts.steps, "--steps"),
          result: {},
        };
        let peer: PeerPlan;
        if (opts.backend === "webgpu") peer = await benchWebGpuMode(run);
        else if (opts.backend === "cpu") peer = await benchCpuMode(run);
        else throw new UserError("--backend", `unknown bench backend '${opts.backend}' (use cpu or webgpu)`);
        if (opts.peer !== false && peer.widths.length > 0) await benchPeer(run, peer);
        if (opts.json) run.out(JSON.stringify(run.result, null, 2));
      }),
    );
}

/** What every mode of one `bench` call shares: the flags, the output, the collected results. */
interface BenchRun {
  opts: BenchCliOptions;
  out: (text: string) => void;
  log: (line: string) => void;
  routes: ("a" | "b")[];
  steps: number;
  result: Record<string, unknown>;
}

/** What the PyTorch peer is asked to time, so that it matches the mode's own rows. */
interface PeerPlan {
  widths: number[][];
  batches: number[];
  device: "cpu" | "cuda";
  activation: string;
  model?: string;
  threads?: number;
}

/** `--backend webgpu`: the generated WGSL kernels, then the tfjs path on the same decoders. */
async function benchWebGpuMode(run: BenchRun): Promise<PeerPlan> {
  const { opts, out, log, routes, steps } = run;
  const { benchWebGpu, formatWebGpuBench, yardstickDecoders } = await import("../runtime/webgpu/bench.js");
  const batches = list(opts.batches).map((b) => positiveInt(b, "--batches"));
  const models = opts.model ? [(await import("../model/load.js")).loadModel(resolve(opts.model))] : yardstickDecoders();
  const res = await benchWebGpu({ models, batches, routes, steps, log });
  run.result["webgpu"] = res;
  if (!opts.json) out(formatWebGpuBench(res));
  if (opts.tfjs) {
    const { benchTfjsDecoders, formatTfjsDecoderBench } = await import("../runtime/train/bench-decoder.js");
    if (opts.tfjsBackend !== "cpu" && opts.tfjsBackend !== "wasm")
      throw new UserError("--tfjs-backend", `use cpu or wasm, got '${opts.tfjsBackend}'`);
    const maxBatch = positiveInt(opts.tfjsMaxBatch, "--tfjs-max-batch");
    const tfjsRows = await benchTfjsDecoders({ models, routes, batches, backend: opts.tfjsBackend, steps, maxBatch, log });
    run.result["tfjs"] = tfjsRows;
    if (!opts.json) out("\n" + formatTfjsDecoderBench(tfjsRows, res.rows));
  }
  return {
    widths: models.map((m) => (m.decoder.type === "mlp" ? [m.latentDim, ...m.decoder.layers.map((l) => l.units)] : [])),
    batches,
    device: res.software ? "cpu" : "cuda",
    activation: "tanh",
  };
}

/** `--backend cpu`: the ONNX training step and the tfjs backends at one batch size. */
async function benchCpuMode(run: BenchRun): Promise<PeerPlan> {
  const { opts, out, log, routes, steps } = run;
  const modelPath = resolve(opts.model ?? "examples/swiss-roll.model.json");
  const [{ runBench, formatBench }, { TFJS_BACKENDS: BACKENDS }, { loadModel }] = await Promise.all([
    import("../runtime/train/bench.js"),
    import("../runtime/train/config.js"),
    import("../model/load.js"),
  ]);
  const requested = list(opts.backends);
  for (const b of requested)
    if (b !== "onnx" && !(BACKENDS as readonly string[]).includes(b))
      throw new UserError("--backends", `unknown backend '${b}' (use onnx, ${BACKENDS.join(", ")})`);
  const backends = requested.filter((b): b is (typeof BACKENDS)[number] => b !== "onnx");
  const threads = opts.threads === undefined ? (await import("node:os")).availableParallelism() : positiveInt(opts.threads, "--threads");
  const lambda = Number(opts.lambda);
  if (!Number.isFinite(lambda) || lambda < 0) throw new UserError("--lambda", `must be a number ≥ 0, got '${opts.lambda}'`);
  const batch = positiveInt(opts.batch, "--batch");
  const seed = positiveInt(opts.seed, "--seed", 0);
  if (requested.includes("onnx")) {
    const { benchOnnx, formatOnnxBench } = await import("../runtime/onnx/bench.js");
    const onnxRows = await benchOnnx({ modelPath, batch, routes, steps, threads, lambda, seed }, log);
    run.result["onnx"] = onnxRows;
    if (!opts.json) out(formatOnnxBench(onnxRows) + "\n");
  }
  const naiveSteps = positiveInt(opts.naiveSteps, "--naive-steps", 0);
  const rows = backends.length === 0 ? [] : await runBench({ modelPath, batch, backends, routes, steps, naiveSteps, lambda, seed }, log);
  run.result["tfjs"] = rows;
  if (!opts.json && rows.length) out(formatBench(rows));
  const model = loadModel(modelPath);
  if (model.decoder.type !== "mlp") throw new UserError("--model", "bench times an MLP decoder; this model's decoder is analytic");
  const acts = model.decoder.layers.slice(0, -1).map((l) => (l.activation.kind === "named" ? l.activation.name : "formula"));
  return {
    widths: [[model.latentDim, ...model.decoder.layers.map((l) => l.units)]],
    batches: [batch],
    device: "cpu",
    activation: acts[0] ?? "tanh",
    model: modelPath,
    threads,
  };
}

/** The PyTorch peer on the same machine, in the same run; with ONNX rows, the ratios against it. */
async function benchPeer(run: BenchRun, plan: PeerPlan): Promise<void> {
  const { opts, out, log } = run;
  const { runTorchPeer, formatTorchPeer } = await import("../runtime/peers/torch.js");
  let device = plan.device;
  if (opts.peerDevice !== "") {
    if (opts.peerDevice !== "cpu" && opts.peerDevice !== "cuda")
      throw new UserError("--peer-device", `use cpu or cuda, got '${opts.peerDevice}'`);
    device = opts.peerDevice;
  }
  const at = plan.threads === undefined ? "" : ` on ${plan.threads} thread(s)`;
  log(`PyTorch peer on ${device}${at}: ${plan.widths.map((w) => w.join("-")).join(", ")} at batch ${plan.batches.join(", ")} …`);
  const peer = runTorchPeer({
    ...(typeof opts.peer === "string" ? { script: opts.peer } : {}),
    device,
    widths: plan.widths,
    ...(plan.model !== undefined ? { model: plan.model, kinds: ["R", "step", "ae-step"] as const } : {}),
    ...(plan.threads !== undefined ? { threads: plan.threads } : {}),
    batches: plan.batches,
    activation: plan.activation,
    methods: list(opts.peerMethods),
    progress: !opts.json,
  });
  run.result["peer"] = peer;
  if (!opts.json) out("\n" + formatTorchPeer(peer));
  if (!opts.json && Array.isArray(run.result["onnx"])) {
    const { formatOnnxVsPeer } = await import("../runtime/onnx/bench.js");
    out("\n" + formatOnnxVsPeer(run.result["onnx"] as import("../runtime/onnx/bench.js").OnnxBenchRow[], peer));
  }
}
