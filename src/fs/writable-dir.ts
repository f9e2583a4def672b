import { mkdir, open, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Why a path cannot be written, said the way an operator fixes it. */
export interface WriteProblem {
  path: string;
  /** The errno code of the call that failed (EROFS, EACCES, ENOENT, ...). */
  code: string;
  cause: string;
  hint: string;
}

const VOLUME = (root: string) =>
  `mount a writable volume at ${root}, or point the cache at one (agent.cache_dir, --cache-dir or CAIRN_CACHE_DIR)`;

/**
 * The problem behind a failed write below the cache root `root`, with the hint
 * that fits its cause: a read-only root file system (a container run with
 * --read-only or readOnlyRootFilesystem), a directory of another user, a
 * parent directory that does not exist, a full disk.
 */
export function writeProblem(path: string, root: string, err: unknown): WriteProblem {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? "EIO";
  const cause = e instanceof Error ? e.message : String(err);
  const uid = process.getuid?.();
  const hints: Record<string, string> = {
    EROFS: `the file system is read-only: ${VOLUME(root)}`,
    EACCES: `user ${uid ?? "?"} may not write there: ${VOLUME(root)} (writable by that user, e.g. with fsGroup)`,
    EPERM: `user ${uid ?? "?"} may not write there: ${VOLUME(root)}`,
    ENOENT: `a directory above it does not exist: ${VOLUME(root)}`,
    ENOTDIR: `a file is in the way of the directory: ${VOLUME(root)}`,
    ENOSPC: `the file system is full: free space there or ${VOLUME(root)}`,
    EDQUOT: `the disk quota is used up: free space there or ${VOLUME(root)}`,
  };
  return { path, code, cause, hint: hints[code] ?? VOLUME(root) };
}

/**
 * Whether `dir` exists or can be made, and takes a new file; undefined when it
 * does, else the first call that failed. Each missing directory is made on
 * its own rather than with mkdir's `recursive`, which reports a read-only
 * parent as ENOENT and so hides the real cause.
 */
export async function probeWritableDir(dir: string, root: string = dir): Promise<WriteProblem | undefined> {
  try {
    await makeDirs(dir);
    const probe = join(dir, `.cairn-write-test-${process.pid}`);
    await (await open(probe, "w", 0o600)).close();
    await unlink(probe);
    return undefined;
  } catch (e) {
    return writeProblem((e as NodeJS.ErrnoException).path ?? dir, root, e);
  }
}

/**
 * mkdir -p that reports the real cause: Node's `recursive` reports a missing
 * directory under a read-only or foreign parent as ENOENT, which reads as
 * "wrong path" when the fix is a writable volume.
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const exists = await stat(d).then(
      (s) => {
        if (!s.isDirectory())
          throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR", path: d });
        return true;
      },
      (e: NodeJS.ErrnoException) => {
        // ENOTDIR: a file further up; the walk goes on to name it.
        if (e.code === "ENOENT" || e.code === "ENOTDIR") return false;
        throw e;
      },
    );
    if (exists || dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing)
    await mkdir(d, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
}
