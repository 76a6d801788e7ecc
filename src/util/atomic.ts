/**
 * Atomic file output: readers see the old content or the new, never a half-written file.
 * Files are written to a temporary sibling `.<name>.<pid>.tmp`, flushed, then renamed over the target;
 * a failed write removes it, and a writer killed mid-write leaves one that the next training's run
 * lock removes (runtime/train/run-lock.ts).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, existsSync } from "node:fs";
import { dirname, join, basename } from "node:path";

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // ENOSPC, EIO, …: no half-written temporary file is left beside the target.
    rmSync(tmp, { force: true });
    // write() and fsync() errors carry no path: name the file the user asked for.
    if (e instanceof Error && (e as NodeJS.ErrnoException).path === undefined) (e as NodeJS.ErrnoException).path = path;
    throw e;
  }
}

/**
 * Replace a whole folder with `files` (relative name → content): the new folder is built beside
 * the old one and swapped in by renames, so a failure part-way leaves the previous output intact.
 */
export function writeFolderAtomic(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(dir)}.${process.pid}.new`);
  const retired = join(parent, `.${basename(dir)}.${process.pid}.old`);
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [name, content] of files) writeFileAtomic(join(staging, name), content);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const hadOld = existsSync(dir);
  if (hadOld) renameSync(dir, retired);
  renameSync(staging, dir);
  if (hadOld) rmSync(retired, { recursive: true, force: true });
}
