/**
 * The PyTorch peer (`peers/torch_ricci.py` in this repository: the reference research's
 * nested-jacfwd method and the Gauss-equation formulation in plain PyTorch), run beside our kernels
 * so that `ricci-gen bench` prints ratios measured on one machine in one run. Optional: without
 * python3 + torch, the bench says why and goes on without it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type TorchPeerKind = "R" | "step" | "ae-step";

export interface TorchPeerOptions {
  /** Path of torch_ricci.py; default $RICCI_TORCH_PEER, then peers/torch_ricci.py of this repository. */
  script?: string;
  /** Python interpreter; default $RICCI_PYTHON, then /usr/bin/python3, then python3. */
  python?: string;
  device: "cpu" | "cuda";
  /** Decoder widths, e.g. [[2, 64, 64, 64, 3]]; ignored when `model` is given. */
  widths: number[][];
  /** A model.json with an MLP decoder: the peer builds the same architecture (and encoder). */
  model?: string;
  /** With `widths`: the torus embedding (cos z, sin z) before the first layer. */
  torus?: boolean;
  batches: number[];
  /** Hidden activation with `widths`. */
  activation: string;
  /** jacfwd3 (the research's method) and gauss (route B); func_fwd and gauss2 are accepted as aliases. */
  methods: string[];
  /** What to time; default R and step (ae-step adds a full autoencoder step with Adam). */
  kinds?: TorchPeerKind[];
  threads?: number;
  reps?: number;
  /** Skip a row when one call takes longer than this. */
  maxSeconds?: number;
  timeoutMs?: number;
  /** Show the peer's progress lines on this process's stderr as they come. */
  progress?: boolean;
}

export interface TorchPeerRow {
  widths: string;
  /** The method name as requested. */
  method: string;
  /** "peer" = the reference research's nested autodiff; "fast" = the Gauss-equation formulation. */
  family: string;
  batch: number;
  dtype: string;
  threads: number | null;
  /** R at the batch, forward only. */
  rMs: number | null;
  /** ∫R² at the points + backward to the decoder weights (no optimiser update). */
  stepMs: number | null;
  /** Encoder, reconstruction, ∫R² at the detached codes, backward to all weights and Adam. */
  aeStepMs: number | null;
  note: string;
}

export interface TorchMatmulRow {
  widths: string;
  batch: number;
  /** [rows, inner, cols] of the timed product. */
  shape: number[];
  gflops: number;
}

export interface TorchPeerResult {
  available: boolean;
  /** Why the peer did not run, or the torch version and device when it did. */
  note: string;
  rows: TorchPeerRow[];
  /** The MatMul ceiling timed in the same run (largest layer × route-B jet columns). */
  matmul: TorchMatmulRow[];
}

const CANONICAL: Record<string, string> = { jacfwd3: "jacfwd3", func_fwd: "jacfwd3", gauss: "gauss", gauss2: "gauss" };
const FAMILY: Record<string, string> = { jacfwd3: "peer", gauss: "fast" };

const here = dirname(fileURLToPath(import.meta.url));

/** The in-repository peer: from src/runtime/peers/ (or dist/…) and from the device kit's bundle. */
export function defaultPeerScript(): string | null {
  const candidates = [
    process.env["RICCI_TORCH_PEER"],
    resolve(here, "../../../peers/torch_ricci.py"),
    resolve(here, "../../peers/torch_ricci.py"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return resolve(c);
  return null;
}

function findScript(explicit?: string): string | null {
  if (explicit !== undefined) return existsSync(explicit) ? resolve(explicit) : null; // a path given is the one meant
  return defaultPeerScript();
}

/** The first interpreter that imports torch, or null. */
export function findTorchPython(explicit?: string): string | null {
  const key = `${explicit ?? ""}|${process.env["RICCI_PYTHON"] ?? ""}`;
  if (!pythonCache.has(key)) pythonCache.set(key, probePython(explicit));
  return pythonCache.get(key)!;
}

// Importing torch takes seconds: probe each interpreter choice once per process.
const pythonCache = new Map<string, string | null>();

function probePython(explicit?: string): string | null {
  const candidates = [explicit, process.env["RICCI_PYTHON"], "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

interface PeerJsonRow {
  method: string;
  kind: string;
  batch: number;
  threads?: number;
  ms: number | null;
  status?: string;
  shape?: number[];
  gflops?: number;
}

interface PeerJson {
  env?: Record<string, unknown>;
  rows: PeerJsonRow[];
}

/** Runs the script with `args` (+ --json <tmp>) and returns its parsed JSON, or why it failed. */
function runScript(python: string, args: string[], opts: TorchPeerOptions): PeerJson | string {
  const dir = mkdtempSync(join(tmpdir(), "ricci-peer-"));
  try {
    const out = join(dir, "peer.json");
    const r = spawnSync(python, [...args, "--json", out], {
      encoding: "utf8",
      timeout: opts.timeoutMs ?? 30 * 60_000,
      stdio: ["ignore", "pipe", opts.progress ? "inherit" : "pipe"],
    });
    if (!existsSync(out)) {
      const tail = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-3).join(" / ");
      return r.error ? r.error.message : tail || `exit status ${r.status}`;
    }
    return JSON.parse(readFileSync(out, "utf8")) as PeerJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function peerArgs(script: string, opts: TorchPeerOptions, methods: string[], widths: number[] | null): string[] {
  const args = [script, "--device", opts.device, "--batch", opts.batches.join(","), "--methods", methods.join(",")];
  args.push("--kinds", (opts.kinds ?? ["R", "step"]).join(","), "--max-seconds", String(opts.maxSeconds ?? 30));
  if (widths) args.push("--widths", widths.join(","), "--act", opts.activation, ...(opts.torus ? ["--torus"] : []));
  else args.push("--model", resolve(opts.model!));
  if (opts.threads !== undefined) args.push("--threads", String(opts.threads));
  if (opts.reps !== undefined) args.push("--reps", String(opts.reps));
  return args;
}

/** One row per (method as requested, batch) from the script's per-kind rows. */
function collectRows(
  label: string,
  parsed: PeerJson,
  requested: string[],
  dtype: string,
): { rows: TorchPeerRow[]; matmul: TorchMatmulRow[] } {
  const rows: TorchPeerRow[] = [];
  const matmul: TorchMatmulRow[] = [];
  const batches = [...new Set(parsed.rows.map((r) => r.batch))];
  for (const rec of parsed.rows)
    if (rec.method === "matmul" && rec.gflops !== undefined)
      matmul.push({ widths: label, batch: rec.batch, shape: rec.shape ?? [], gflops: rec.gflops });
  for (const name of requested)
    for (const batch of batches) {
      const method = CANONICAL[name]!;
      const of = (kind: string): PeerJsonRow | undefined =>
        parsed.rows.find((r) => r.method === method && r.kind === kind && r.batch === batch);
      const ms = (kind: string): number | null => of(kind)?.ms ?? null;
      const notes = ["R", "step", "ae-step"]
        .map(of)
        .filter((r) => r && r.status && r.status !== "ok")
        .map((r) => `${r!.kind} ${r!.status}`);
      rows.push({
        widths: label,
        method: name,
        family: FAMILY[method]!,
        batch,
        dtype,
        threads: of("R")?.threads ?? of("step")?.threads ?? null,
        rMs: ms("R"),
        stepMs: ms("step"),
        aeStepMs: ms("ae-step"),
        note: notes.join("; "),
      });
    }
  return { rows, matmul };
}

/** Runs the peer and returns its rows; never throws for a missing or failing peer (see `available`). */
export function runTorchPeer(opts: TorchPeerOptions): TorchPeerResult {
  const none = (note: string): TorchPeerResult => ({ available: false, note, rows: [], matmul: [] });
  const script = findScript(opts.script);
  if (!script && opts.script !== undefined) return none(`PyTorch peer script ${opts.script} does not exist`);
  if (!script) return none("PyTorch peer script peers/torch_ricci.py not found (set RICCI_TORCH_PEER or pass --peer <torch_ricci.py>)");
  const python = findTorchPython(opts.python);
  if (!python) return none("no python3 with torch (on Debian: apt-get install python3-torch libopenblas0-openmp)");
  const unknown = opts.methods.filter((m) => !(m in CANONICAL));
  const requested = opts.methods.filter((m) => m in CANONICAL);
  const skipped = unknown.length > 0 ? `; not in the peer: ${unknown.join(", ")} (methods: jacfwd3, gauss)` : "";
  if (requested.length === 0) return none(`no known peer method in ${opts.methods.join(", ")} (use jacfwd3, gauss)`);
  const methods = [...new Set(requested.map((m) => CANONICAL[m]!))];
  const shapes: (number[] | null)[] = opts.model !== undefined ? [null] : opts.widths;
  const result: TorchPeerResult = { available: true, note: "", rows: [], matmul: [] };
  let env: Record<string, unknown> = {};
  for (const widths of shapes) {
    const parsed = runScript(python, peerArgs(script, opts, methods, widths), opts);
    if (typeof parsed === "string") return none(`the PyTorch peer failed: ${parsed}`);
    env = parsed.env ?? env;
    const model = (parsed as { model?: { decoderWidths?: number[]; torus?: boolean } }).model;
    const label = widths ? widths.join("-") : (model?.decoderWidths ?? []).join("-") + (model?.torus ? " (torus)" : "");
    const got = collectRows(label, parsed, requested, String(env["dtype"] ?? "float32"));
    result.rows.push(...got.rows);
    result.matmul.push(...got.matmul);
  }
  const version = typeof env["torch"] === "string" ? `torch ${env["torch"]}` : "torch";
  const threads = typeof env["threads"] === "number" ? `, ${env["threads"]} threads` : "";
  result.note = `${version} on ${opts.device}${threads} (${python})${skipped}`;
  return result;
}

/** The peer's rows as a table, µs per point. */
export function formatTorchPeer(res: TorchPeerResult): string {
  if (!res.available) return `PyTorch peer: not run — ${res.note}`;
  const ae = res.rows.some((r) => r.aeStepMs !== null);
  const head = `PyTorch peer (${res.note}): step = ∫R² + backward, no optimiser${ae ? "; ae-step = full autoencoder step with Adam" : ""}`;
  const cols = "widths              method     family  batch     R ms   R µs/pt   step ms  step µs/pt";
  const lines = [head, cols + (ae ? "  ae-step µs/pt" : "") + "  note"];
  const f = (x: number | null, div = 1): string => (x === null ? "—" : (x / div).toFixed(x / div >= 100 ? 0 : 1));
  const us = (ms: number | null, batch: number): string => f(ms === null ? null : ms * 1000, batch);
  for (const r of res.rows) {
    const aeCol = ae ? us(r.aeStepMs, r.batch).padStart(15) : "";
    lines.push(
      `${r.widths.padEnd(19)} ${r.method.padEnd(10)} ${r.family.padEnd(7)} ${String(r.batch).padStart(5)} ${f(r.rMs).padStart(8)} ${us(r.rMs, r.batch).padStart(9)} ${f(r.stepMs).padStart(9)} ${us(r.stepMs, r.batch).padStart(11)}${aeCol}  ${r.note}`,
    );
  }
  for (const m of res.matmul) lines.push(`MatMul ${m.shape.join("×")} (${m.widths}, batch ${m.batch}): ${m.gflops.toFixed(1)} GFLOP/s`);
  return lines.join("\n");
}

export interface TorchCurvatureOptions {
  /** A model.json with an MLP decoder (weights as `values` or `file` for a like-for-like check). */
  model: string;
  /** n × d latent points, row-major. */
  points: Float64Array;
  latentDim: number;
  methods?: ("jacfwd3" | "gauss")[];
  dtype?: "float64" | "float32";
  eps?: number;
  script?: string;
  python?: string;
}

/** R and det g by the peer's methods at the given points; throws with the peer's message on failure. */
export function torchPeerCurvature(opts: TorchCurvatureOptions): Record<string, { R: number[]; detg: number[] }> {
  const script = findScript(opts.script);
  const python = findTorchPython(opts.python);
  if (!script || !python) throw new Error(`PyTorch peer unavailable: ${!script ? "no peers/torch_ricci.py" : "no python3 with torch"}`);
  const dir = mkdtempSync(join(tmpdir(), "ricci-peer-"));
  try {
    const d = opts.latentDim;
    const pts = Array.from({ length: opts.points.length / d }, (_, i) => Array.from(opts.points.subarray(i * d, (i + 1) * d)));
    writeFileSync(join(dir, "points.json"), JSON.stringify(pts));
    const args = [script, "--model", resolve(opts.model), "--eval-points", join(dir, "points.json"), "--eval-out", join(dir, "R.json")];
    args.push(
      "--methods",
      (opts.methods ?? ["jacfwd3", "gauss"]).join(","),
      "--dtype",
      opts.dtype ?? "float64",
      "--eps",
      String(opts.eps ?? 0),
      "--quiet",
    );
    const r = spawnSync(python, args, { encoding: "utf8", timeout: 10 * 60_000 });
    if (r.status !== 0) throw new Error(`the PyTorch peer failed (exit ${r.status}): ${(r.stderr || r.stdout || "").trim()}`);
    return JSON.parse(readFileSync(join(dir, "R.json"), "utf8")) as Record<string, { R: number[]; detg: number[] }>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
