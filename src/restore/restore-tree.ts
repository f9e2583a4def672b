import { symlinkSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { BlobId } from "../core/ids.js";
import { nodeTargetBytes } from "../repository/tree.js";
import { IncludeFilter } from "./include-filter.js";
import { applyPathMetadata } from "./restore-metadata.js";
import {
  checkAborted,
  recordError,
  warn,
  type RestoreContext,
  type RestoreOptions,
  type RestoreSummary,
} from "./restore-context.js";
import { removeScratch } from "./restore-special.js";
import { restoreDir } from "./restore-walk.js";
import { drainJobs, PARALLEL_FILES } from "./restore-jobs.js";
import { TaskPool } from "../core/task-pool.js";
import { flushWindow } from "./restore-window.js";
import type { SnapshotReader } from "./snapshot-reader.js";

export type { RestoreOptions, RestoreSummary } from "./restore-context.js";

/**
 * Restores the snapshot whose root tree is `rootTree` into `target` (created
 * if missing). Meant for an empty or new directory: an entry that already
 * exists in the target is never overwritten, it is reported in `errors`.
 *
 * Trusts nothing in the trees (RELIABILITY.md invariant 10): every name must
 * be one path component, duplicates keep the first entry, and symlinks are
 * created only after every file and directory exists, so no write goes
 * through a symlink. Directory modes and mtimes are set last, deepest first.
 * Per-entry failures (damaged blob, unsafe name, existing path) are recorded
 * and the rest is restored; a damaged root tree or an abort throws
 * (AbortedError; what was restored so far stays).
 *
 * @example
 * const summary = await restoreSnapshot(reader, snapshot.tree, "/tmp/restore", { include: ["/etc"] });
 * if (summary.errors.length > 0) process.exitCode = 3;
 */
export async function restoreSnapshot(
  reader: SnapshotReader,
  rootTree: BlobId,
  target: string,
  opts: RestoreOptions = {},
): Promise<RestoreSummary> {
  const ctx = await createContext(reader, target, opts);
  const filter = IncludeFilter.from(opts.include);
  try {
    try {
      await restoreDir(ctx, { tree: rootTree, path: ctx.target, display: "", filter, ancestors: new Set() });
      await flushWindow(ctx);
    } finally {
      // After an abort a window may still be handing out jobs: it stops at its next file, then every job is waited for.
      await ctx.window.scheduling?.catch(() => undefined);
      await drainJobs(ctx);
    }
    await createSymlinks(ctx);
    await finishDirs(ctx);
  } finally {
    // Only after an abort or a thrown error: files some of whose parts never ran.
    for (const f of ctx.splitFiles) await f.remove();
    await ctx.writers?.close();
    await removeScratch(ctx);
  }
  if (filter !== "all")
    for (const p of filter.unmatched()) warn(ctx, p, "include path matched nothing in the snapshot");
  return ctx.summary;
}

async function createContext(reader: SnapshotReader, target: string, opts: RestoreOptions): Promise<RestoreContext> {
  const path = Buffer.from(resolve(target));
  await mkdir(path, { recursive: true });
  if ((await readdir(path)).length > 0) {
    opts.onWarning?.({ path: target, message: "target is not empty; existing entries are kept, clashes reported" });
  }
  return {
    reader,
    target: path,
    ownership: opts.restoreOwnership ?? process.getuid?.() === 0,
    opts,
    summary: { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, errors: [] },
    inodes: new Map(),
    symlinks: [],
    dirs: [],
    window: { files: [], blobs: 0 },
    splitFiles: new Set(),
    jobs: new TaskPool(PARALLEL_FILES),
    largeFiles: 0,
    largeFileWaiters: [],
  };
}

/** Phase two: every directory and file exists, so links can no longer redirect a write. */
async function createSymlinks(ctx: RestoreContext): Promise<void> {
  for (const e of ctx.symlinks) {
    checkAborted(ctx.opts.signal);
    try {
      symlinkSync(nodeTargetBytes(e.node) as Buffer, e.path); // synchronous for the reason directories are (restore-walk.ts)
    } catch (err) {
      recordError(ctx, e.display, err);
      continue;
    }
    ctx.summary.symlinks++;
    await applyPathMetadata(ctx, e);
  }
}

/** Phase three: reverse creation order puts every directory after its contents. */
async function finishDirs(ctx: RestoreContext): Promise<void> {
  for (const e of [...ctx.dirs].reverse()) await applyPathMetadata(ctx, e);
}
