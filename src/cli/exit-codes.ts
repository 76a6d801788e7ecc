/**
 * The exit codes of `ricci-gen`, one meaning each. They are listed in `ricci-gen --help`; scripts,
 * CI and schedulers (Slurm, `timeout`, `docker stop`) may rely on them.
 */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** A check ran and failed (`check`: an error above the tolerance, or NaN). */
  checkFailed: 1,
  /** Usage or bad input: an unknown option or command, a missing argument, a bad flag value, a bad model/config/dataset/run folder, a file-system error. */
  usage: 2,
  /** Training fault: a NaN/Inf loss, gradient or parameter; the last good checkpoint is kept. */
  trainingFault: 3,
  /** A bug in ricci-gen (a stack trace is printed: please report it). */
  internal: 70,
  /** Interrupted by SIGINT (Ctrl-C) after writing a checkpoint. */
  interrupted: 130,
  /** Terminated by SIGTERM (`kill`, `timeout`, Slurm, `docker stop`) after writing a checkpoint. */
  terminated: 143,
} as const;

/** The exit code for a stop requested by a signal. */
export const exitCodeForSignal = (signal: NodeJS.Signals | undefined): number =>
  signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;

/** The table printed at the end of `ricci-gen --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    a check failed (check: an error above the tolerance, or NaN)
  2    usage or bad input (unknown option/command, missing argument, bad flag value,
       bad model/config/dataset/run folder, file-system error); one line on stderr
  3    training fault (NaN or Inf loss, gradient or parameters); the last good checkpoint is kept
  70   internal error (a bug: the stack trace is printed; please report it)
  130  interrupted by SIGINT (Ctrl-C) after writing a checkpoint (continue with --resume)
  143  terminated by SIGTERM after writing a checkpoint (continue with --resume)
`;
