/** Numeric command-line flags, validated: a bad value is a UserError naming the flag (exit 2), never a silent 0 or NaN. */
import { UserError } from "../util/errors.js";

/** An integer in [min, max], written in decimal (e.g. "32", "1e3" is accepted as 1000). */
export function integerFlag(value: string, flag: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UserError(flag, `must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? "2^53" : max}, got '${value}'`);
  return n;
}

/** A finite number in [min, max]. */
export function numberFlag(value: string, flag: string, min = -Infinity, max = Infinity): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UserError(
      flag,
      `must be a number${Number.isFinite(min) ? ` ≥ ${min}` : ""}${Number.isFinite(max) ? ` ≤ ${max}` : ""}, got '${value}'`,
    );
  return n;
}
