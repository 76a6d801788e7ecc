/** Reading data files with errors a user can act on. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { UserError } from "../../util/errors.js";

/** The file's bytes, gunzipped when they start with the gzip magic (whatever the file is called). */
export function readBytes(path: string): Buffer {
  if (!existsSync(path)) throw new UserError(path, "file not found");
  if (statSync(path).isDirectory()) throw new UserError(path, "is a directory, expected a file");
  const raw = readFileSync(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new UserError(path, `corrupt gzip data (${(e as Error).message})`);
    }
  }
  return raw;
}
