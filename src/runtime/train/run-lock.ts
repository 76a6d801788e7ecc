/**
 * One writer per run folder: `train` holds runs/<name>/.lock (its pid, host and start time) while it
 * writes the folder, so a second training into the same folder stops at once with a clear message
 * instead of interleaving metrics.jsonl and losing records. A lock left by a process that no longer
 * runs (killed with SIGKILL, power loss) is stale and taken over. Taking the lock also removes stray
 * temporary files of atomic writes (util/atomic.ts) that a killed writer left behind.
 */
import { closeSync, existsSync, mkdirSync, rmdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UserError } from "../../util/errors.js";

export const LOCK_FILE = ".lock";

/** Locks this process holds (so that two trainings in one process also exclude each other). */
const heldHere = new Set<string>();

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockInfo>;
    return typeof v.pid === "number" ? { pid: v.pid, host: String(v.host ?? ""), started: String(v.started ?? "") } : null;
  } catch {
    return null;
  }
}

/** Temporary files of atomic writes (".<name>.<pid>.tmp") in `dir`: removed, since the lock holder is the only writer. */
export function removeStrayTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stray = names.filter((n) => /^\..+\.\d+\.tmp$/.test(n));
  for (const n of stray) rmSync(join(dir, n), { force: true });
  return stray;
}

export interface RunLock {
  path: string;
  /** Stray temporary files removed when the lock was taken. */
  removed: string[];
  release(): void;
}

/**
 * Take the lock of `runDir` (creating the folder). Throws a UserError when another live process on
 * this host holds it; a lock of a dead process is taken over. A lock from another host is respected,
 * since its process cannot be checked from here.
 */
export function acquireRunLock(runDir: string): RunLock {
  const created = !existsSync(runDir);
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = readLock(path);
      const ours = held?.pid === process.pid && held.host === me.host;
      if (held && (ours ? heldHere.has(path) : held.host !== me.host || processAlive(held.pid)))
        throw new UserError(
          runDir,
          `another training (pid ${held.pid} on ${held.host}, started ${held.started}) is writing this run folder: ` +
            `wait for it to finish or stop it; if it is gone, delete ${path}`,
        );
      // Stale (a dead process, a reused pid of ours, or unreadable): take it over.
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me) + "\n");
    } finally {
      closeSync(fd);
    }
    heldHere.add(path);
    const removed = removeStrayTempFiles(runDir);
    let released = false;
    return {
      path,
      removed,
      release: () => {
        if (released) return;
        released = true;
        heldHere.delete(path);
        const held = readLock(path);
        if (held?.pid === process.pid) rmSync(path, { force: true });
        // A training refused before it wrote anything leaves no empty run folder behind.
        try {
          if (created && readdirSync(runDir).length === 0) rmdirSync(runDir);
        } catch {
          // Already gone or not removable: nothing to clean.
        }
      },
    };
  }
  throw new UserError(runDir, `could not take the lock ${path}: another process keeps recreating it`);
}
