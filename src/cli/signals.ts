/**
 * SIGINT/SIGTERM during a training: the first signal asks the trainer to stop after the current step
 * and write a checkpoint (exit 130 for SIGINT, 143 for SIGTERM); a second one aborts at once with
 * the same code. The bin runs the CLI in this process (no launcher child), so `kill`, `timeout`,
 * Slurm and `docker stop` reach these handlers directly.
 */
import { exitCodeForSignal } from "./exit-codes.js";

export class StopOnSignal {
  /** Read by the trainer between steps. */
  requested = false;
  signal: NodeJS.Signals | undefined;
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.requested) process.exit(exitCodeForSignal(signal));
    this.requested = true;
    this.signal = signal;
    process.stderr.write(`\n${signal}: ${this.message}; send it again to abort at once\n`);
  };

  constructor(private readonly message: string) {
    process.on("SIGINT", this.handler);
    process.on("SIGTERM", this.handler);
  }

  /** 130 after SIGINT, 143 after SIGTERM. */
  exitCode(): number {
    return exitCodeForSignal(this.signal);
  }

  dispose(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }
}
