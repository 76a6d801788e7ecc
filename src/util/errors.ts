/**
 * Errors caused by the user's input (a model, a config, a data file). The CLI prints their message
 * on one line and exits with code 2; anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  /** Where the problem is, e.g. `decoder.layers[2].activation` or a file path. */
  readonly where: string;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = "UserError";
    this.where = where;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
