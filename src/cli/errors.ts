/**
 * The CLI's error boundary: a UserError becomes one line on stderr and exit code 2; anything
 * else is a bug, reported with its stack and exit code 1.
 */
import { isUserError } from "../util/errors.js";

export function reportAndExit(e: unknown): never {
  if (isUserError(e)) {
    process.stderr.write(`ricci-gen: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`ricci-gen: internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}

/** Wrap a commander action so that every failure goes through reportAndExit. */
export function guarded<A extends unknown[]>(action: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      reportAndExit(e);
    }
  };
}
