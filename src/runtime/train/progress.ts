/**
 * The progress display on stderr: epoch/step, each loss part, throughput and ETA. On a terminal it
 * redraws one line (at most 10 times a second); otherwise (CI logs, files) it prints a line at each
 * epoch end and at most every 30 s.
 */
export interface ProgressInfo {
  epoch: number;
  epochs: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  totalSteps: number;
  parts: Record<string, number>;
  pointsPerSec: number;
  etaSec: number;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return "?";
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const fmt = (v: number): string => (v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(4));

export function formatProgress(p: ProgressInfo, width = 20): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(frac * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const parts = Object.entries(p.parts)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(" ");
  return `epoch ${p.epoch}/${p.epochs} ${bar} step ${p.stepInEpoch}/${p.stepsPerEpoch} (${p.step}/${p.totalSteps}) | ${parts} | ${fmt(p.pointsPerSec)} pts/s | ETA ${formatDuration(p.etaSec)}`;
}

export class ProgressBar {
  private lastDraw = 0;
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private get tty(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(p: ProgressInfo, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const cols = this.stream.columns ?? 160;
      this.stream.write(`\r${formatProgress(p).slice(0, cols - 1)}\x1b[K`);
      this.drawn = true;
    } else if (force || now - this.lastLine > 30_000) {
      this.lastLine = now;
      this.stream.write(`${formatProgress(p)}\n`);
    }
  }

  /** A message on its own line (keeps the bar intact on a terminal). */
  log(message: string): void {
    if (!this.enabled) return;
    if (this.tty && this.drawn) this.stream.write("\r\x1b[K");
    this.stream.write(`${message}\n`);
    this.drawn = false;
  }

  done(): void {
    if (this.enabled && this.tty && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
