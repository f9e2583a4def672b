import { AbortedError, CairnError } from "../core/errors.js";
import type { TreeNode } from "../repository/tree.js";
import type { SnapshotReader } from "./snapshot-reader.js";
import type { FileWriterPool } from "./file-writer-pool.js";
import type { SplitFile } from "./split-file.js";
import type { TaskPool } from "../core/task-pool.js";

export interface RestoreOptions {
  /** Snapshot paths ("/home/x" or "home/x"): restore only these subtrees and their parent directories. */
  include?: string[];
  /** Restore uid/gid and setuid/setgid bits. Default: true when running as root. */
  restoreOwnership?: boolean;
  signal?: AbortSignal;
  /** Called after each regular file (or hardlink) is restored. */
  onProgress?(p: { files: number; bytes: number }): void;
  /** Skipped special files, metadata that could not be applied, include paths that matched nothing. */
  onWarning?(w: { path: string; message: string }): void;
}

export interface RestoreSummary {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** Logical bytes of regular files restored (holes included, hardlinks counted once). */
  bytes: number;
  /** One per entry that was not restored: unsafe names, duplicates, damaged data, existing paths. Files are written several at once, so their errors come in completion order. */
  errors: { path: string; message: string }[];
}

/** An entry on its way to disk: where it goes (raw bytes), how to name it to people, what it is. */
export interface Entry {
  path: Buffer;
  display: string;
  node: TreeNode;
}

/** State shared by the pieces of one restore run. */
export interface RestoreContext {
  reader: SnapshotReader;
  target: Buffer;
  ownership: boolean;
  opts: RestoreOptions;
  summary: RestoreSummary;
  /** "dev:ino" -> path of the first restored file of that inode. */
  inodes: Map<string, Buffer>;
  /** Created after every file and directory, so nothing is ever written through one. */
  symlinks: Entry[];
  /** In creation (pre-order) order; finished in reverse so contents come before parents. */
  dirs: Entry[];
  /** Plain files queued by the walk, restored a window at a time (restore-window.ts); `scheduling` hands the previous window to the jobs. */
  window: { files: Entry[]; blobs: number; scheduling?: Promise<void> };
  /** Files being written in parts, not yet finished (split-file.ts): deleted if the restore stops before they are. */
  splitFiles: Set<SplitFile>;
  /** Files being restored in the background, PARALLEL_FILES at most; keeps the first error a job threw (an abort) (restore-jobs.ts). */
  jobs: TaskPool;
  /** Large files being written, and jobs waiting for a slot (restore-file.ts). */
  largeFiles: number;
  largeFileWaiters: (() => void)[];
  /** Worker threads writing small files, started on the first one (restore-file.ts). */
  writers?: FileWriterPool;
  /** Scratch directory for fifos, created on first use (see restore-special.ts). */
  scratch?: Buffer;
}

export function recordError(ctx: RestoreContext, path: string, err: unknown): void {
  ctx.summary.errors.push({ path, message: describeError(err) });
}

export function warn(ctx: RestoreContext, path: string, message: string): void {
  ctx.opts.onWarning?.({ path, message });
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError("restore aborted");
}

/** Node's own messages print Buffer paths badly; name the errno instead, the entry path is beside it. */
export function describeError(err: unknown): string {
  if (err instanceof CairnError) return err.message;
  const e = err as NodeJS.ErrnoException;
  // On a case-insensitive or normalising file system a case/NFC twin in the snapshot lands here too.
  if (e?.code === "EEXIST") {
    return "already exists in the target (or a case/Unicode twin of it does); restore into an empty or new directory";
  }
  if (typeof e?.code === "string") return `${e.code} (${e.syscall ?? "fs"})`;
  return err instanceof Error ? err.message : String(err);
}
