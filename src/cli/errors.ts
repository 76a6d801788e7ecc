/**
 * The CLI's error boundary. A UserError or a file-system error (EACCES, ENOTDIR, ENOSPC, …) becomes
 * one line on stderr and exit code 2; a request for more memory than the machine can give becomes one
 * line and exit 2 as well; anything else is a bug, reported with its stack and exit code 70.
 * Nothing here calls process.exit: the code goes to process.exitCode, so the CLI also runs in-process
 * (tests, src/index.ts) and a pending checkpoint write is never cut short.
 */
import { isUserError } from "../util/errors.js";
import { describeFsError, isFsError } from "../util/fs-errors.js";
import { EXIT } from "./exit-codes.js";

/** One line for a failure, and its exit code. */
export function describeFailure(e: unknown): { line: string; code: number } {
  if (isUserError(e)) return { line: oneLine(e.message), code: EXIT.usage };
  if (isFsError(e)) return { line: describeFsError(e), code: EXIT.usage };
  if (e instanceof RangeError && /Invalid (typed )?array length|Array buffer allocation failed|Invalid string length/.test(e.message))
    return { line: `the input asks for more memory than this machine can give (${e.message}); use smaller sizes`, code: EXIT.usage };
  if (e instanceof RangeError && /Maximum call stack size exceeded/.test(e.message))
    return { line: `the input is nested too deeply to process (${e.message}); simplify it`, code: EXIT.usage };
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { line: `internal error (please report): ${stack}`, code: EXIT.internal };
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ").trim();

/** Print a failure as `ricci-gen: …` on stderr and set the exit code. */
export function reportFailure(e: unknown): number {
  const { line, code } = describeFailure(e);
  process.stderr.write(`ricci-gen: ${line}\n`);
  process.exitCode = code;
  return code;
}

/** Wrap a commander action so that every failure goes through reportFailure. */
export function guarded<A extends unknown[]>(action: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      reportFailure(e);
    }
  };
}
