import { NotFoundError, StorageError } from "../../core/errors.js";

// What to tell the user for the file-system errors they can fix themselves.
const HINTS: Record<string, string> = {
  ENOSPC: "the file system holding the repository is full; free space and re-run (objects already written are reused)",
  EDQUOT: "the disk quota for this user is exhausted; raise the quota or free space and re-run",
  EACCES: "cairn may not access this path; fix the owner or permissions of the repository directory",
  EPERM: "the operation is not permitted on this path; check permissions, immutable flags or the mount",
  EROFS: "the repository is on a read-only file system; remount it read-write or choose another location",
};

// Transient conditions worth a retry: too many open files, interrupted calls.
const RETRYABLE = new Set(["EMFILE", "ENFILE", "EAGAIN", "EBUSY", "EINTR"]);

/**
 * Maps a Node file-system error for `path` (object `key`) to a StorageError
 * that names both. ENOENT becomes NotFoundError only for reads: a write that
 * meets ENOENT (root removed under it) is a plain failure, not a missing object.
 */
export function fsError(
  backend: string,
  key: string | undefined,
  path: string,
  err: unknown,
  reading = false,
): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" && reading && key !== undefined) return new NotFoundError(backend, key, { cause: err });
  const detail = err instanceof Error ? err.message : String(err);
  return new StorageError(backend, key, `${path}: ${code ?? "error"}: ${detail}`, {
    retryable: code !== undefined && RETRYABLE.has(code),
    hint: code === undefined ? undefined : HINTS[code],
    cause: err,
  });
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** An error raised by a system call (it carries `syscall`), as opposed to one from user code. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return typeof (err as NodeJS.ErrnoException | undefined)?.syscall === "string";
}
