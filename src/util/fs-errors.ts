/**
 * File-system errors (Node's ErrnoException: EACCES, ENOTDIR, ENOSPC, …) in words: these are the
 * user's environment, not bugs, so the CLI prints them as one line naming the path and the fix.
 */
const FS_CODES: Record<string, string> = {
  EACCES: "permission denied: check the permissions of the file or folder",
  EPERM: "operation not permitted: check the permissions of the file or folder",
  ENOENT: "no such file or folder: check the path",
  ENOTDIR: "a component of the path is a file, not a folder: check the path",
  EISDIR: "is a folder where a file was expected: give a file path",
  ENOSPC: "no space left on the device: free some space or write elsewhere",
  EDQUOT: "disk quota exceeded: free some space or write elsewhere",
  EROFS: "read-only file system: write elsewhere",
  EEXIST: "already exists: remove it or choose another path",
  ENOTEMPTY: "the folder is not empty: remove it or choose another path",
  ENAMETOOLONG: "the path is too long: use a shorter one",
  ELOOP: "too many symbolic links in the path",
  EMFILE: "too many open files: close other programs or raise the limit (ulimit -n)",
  ENFILE: "too many open files in the system",
  EIO: "input/output error on the device",
  EBUSY: "the file or folder is busy",
  EXDEV: "cannot move across devices: write inside the same file system",
  EFBIG: "the file is too large for the file system",
};

export interface FsError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

export function isFsError(e: unknown): e is FsError {
  return (
    e instanceof Error &&
    typeof (e as FsError).code === "string" &&
    (e as FsError).code in FS_CODES &&
    typeof (e as FsError).syscall === "string"
  );
}

/** `<path>: <what went wrong and what to do> (<CODE>, <syscall>)`. */
export function describeFsError(e: FsError): string {
  const what = FS_CODES[e.code] ?? e.message;
  return `${e.path ?? "file system"}: ${what} (${e.code}, ${e.syscall ?? "?"})`;
}
