/**
 * The PyTorch peer (`torch_curvature_bench.py`, the reference research's nested-jacfwd method and
 * stronger autodiff variants), run beside our kernels so that `ricci-gen bench` prints ratios
 * measured on one machine in one run. Optional: without python3 + torch or the script, the bench
 * says why and goes on without it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface TorchPeerOptions {
  /** Path of torch_curvature_bench.py; default $RICCI_TORCH_PEER, then ../shared/peers/ beside the repository. */
  script?: string;
  /** Python interpreter; default $RICCI_PYTHON, then /usr/bin/python3, then python3. */
  python?: string;
  device: "cpu" | "cuda";
  /** Layer widths, e.g. [2, 64, 64, 64, 3]. */
  widths: number[][];
  batches: number[];
  activation: string;
  /** Methods of the peer script (func_fwd = the reference research's method). */
  methods: string[];
  threads?: number;
  /** Skip a configuration predicted to take longer than this per call. */
  maxSeconds?: number;
  timeoutMs?: number;
}

export interface TorchPeerRow {
  widths: string;
  method: string;
  /** "peer" = the reference research's nested autodiff; "fast" = stronger autodiff variants. */
  family: string;
  batch: number;
  dtype: string;
  rMs: number | null;
  /** Loss + backward to all weights (no optimiser update). */
  stepMs: number | null;
  note: string;
}

export interface TorchPeerResult {
  available: boolean;
  /** Why the peer did not run, or the torch version and device when it did. */
  note: string;
  rows: TorchPeerRow[];
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function findScript(explicit?: string): string | null {
  if (explicit !== undefined) return existsSync(explicit) ? resolve(explicit) : null; // a path given is the one meant
  const candidates = [process.env["RICCI_TORCH_PEER"], join(repoRoot, "..", "shared", "peers", "torch_curvature_bench.py")];
  for (const c of candidates) if (c && existsSync(c)) return resolve(c);
  return null;
}

function findPython(explicit?: string): string | null {
  const candidates = [explicit, process.env["RICCI_PYTHON"], "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

interface PeerRecord {
  widths: number[];
  dtype: string;
  method: string;
  family: string;
  batch: number;
  R?: { status: string; median_s: number | null };
  step?: { status: string; median_s: number | null };
}

/** Runs the peer script and returns its rows; never throws for a missing peer (see `available`). */
export function runTorchPeer(opts: TorchPeerOptions): TorchPeerResult {
  const script = findScript(opts.script);
  if (!script && opts.script !== undefined) return { available: false, note: `PyTorch peer script ${opts.script} does not exist`, rows: [] };
  if (!script) return { available: false, note: "PyTorch peer script not found (set RICCI_TORCH_PEER or pass --peer <torch_curvature_bench.py>)", rows: [] };
  const python = findPython(opts.python);
  if (!python) return { available: false, note: "no python3 with torch (on Debian: apt-get install python3-torch libopenblas0-openmp)", rows: [] };
  const dir = mkdtempSync(join(tmpdir(), "ricci-peer-"));
  try {
    const out = join(dir, "peer.json");
    const args = [
      script,
      "--device", opts.device,
      "--widths", ...opts.widths.map((w) => w.join(",")),
      "--batch", opts.batches.join(","),
      "--dtype", "float32",
      "--act", opts.activation,
      "--methods", opts.methods.join(","),
      "--max-seconds", String(opts.maxSeconds ?? 30),
      "--json", out,
    ];
    if (opts.threads !== undefined) args.push("--threads", String(opts.threads));
    const r = spawnSync(python, args, { encoding: "utf8", timeout: opts.timeoutMs ?? 30 * 60_000 });
    if (!existsSync(out)) {
      const why = r.error ? r.error.message : (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ");
      return { available: false, note: `the PyTorch peer failed: ${why}`, rows: [] };
    }
    const parsed = JSON.parse(readFileSync(out, "utf8")) as { env?: Record<string, unknown>; records: PeerRecord[] };
    const ms = (m: { status: string; median_s: number | null } | undefined): number | null => (m && m.status === "ok" && m.median_s !== null ? m.median_s * 1000 : null);
    const rows = parsed.records.map((rec) => ({
      widths: rec.widths.join("-"),
      method: rec.method,
      family: rec.family,
      batch: rec.batch,
      dtype: rec.dtype,
      rMs: ms(rec.R),
      stepMs: ms(rec.step),
      note: [rec.R, rec.step].filter((m) => m && m.status !== "ok").map((m) => m!.status).join("; "),
    }));
    const env = parsed.env ?? {};
    const version = typeof env["torch"] === "string" ? env["torch"] : "torch";
    return { available: true, note: `${version} on ${opts.device}${opts.threads ? `, ${opts.threads} threads` : ""} (${python})`, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The peer's rows as a table, µs per point. */
export function formatTorchPeer(res: TorchPeerResult): string {
  if (!res.available) return `PyTorch peer: not run — ${res.note}`;
  const head = `PyTorch peer (${res.note}): loss + backward per step, no optimiser update`;
  const lines = [head, "widths              method     family  batch     R ms   R µs/pt   step ms  step µs/pt  note"];
  const f = (x: number | null, div = 1): string => (x === null ? "—" : (x / div).toFixed(x / div >= 100 ? 0 : 1));
  for (const r of res.rows)
    lines.push(
      `${r.widths.padEnd(19)} ${r.method.padEnd(10)} ${r.family.padEnd(7)} ${String(r.batch).padStart(5)} ${f(r.rMs).padStart(8)} ${f(r.rMs === null ? null : r.rMs * 1000, r.batch).padStart(9)} ${f(r.stepMs).padStart(9)} ${f(r.stepMs === null ? null : r.stepMs * 1000, r.batch).padStart(11)}  ${r.note}`,
    );
  return lines.join("\n");
}
