/**
 * Median wall time of one `train` step on a backend: the Swiss-roll example config at batch 256,
 * `steps` steps, evaluation off (the first three steps — compilation, warm-up — are left out).
 *
 *   npx tsx scripts/train-step-times.ts webgpu 40     # also: wasm, cpu
 */
import { loadTrainConfig } from "../src/runtime/train/config.js";
import { train } from "../src/runtime/train/trainer.js";

const backend = process.argv[2] ?? "webgpu";
const steps = Number(process.argv[3] ?? 40);
const { config } = loadTrainConfig("examples/swiss-roll.train.json", {
  backend,
  batch: 256,
  maxSteps: steps,
  evalEvery: 0,
  runsDir: "/tmp/ricci-step-times",
  name: `times-${backend}`,
});
const dts: number[] = [];
let last = performance.now();
const { summary } = await train(config, {
  force: true,
  progress: false,
  evaluate: false,
  onStep: () => {
    const now = performance.now();
    dts.push(now - last);
    last = now;
  },
});
const tail = dts.slice(3).sort((a, b) => a - b);
const at = (q: number): string => tail[Math.floor(tail.length * q)]!.toFixed(1);
console.log(`${summary.backend}: ${dts.length} steps, median ${at(0.5)} ms/step (p10 ${at(0.1)}), last loss ${summary.lastStep?.loss}`);
