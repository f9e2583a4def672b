import { mkdir, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { BlobId } from "../core/ids.js";
import { FileRestorer } from "./file-restorer.js";
import { IncludeFilter } from "./include-filter.js";
import { MetadataWriter } from "./metadata-writer.js";
import { RestoreJobs } from "./restore-jobs.js";
import type { RestoreOptions } from "./shared/restore-options.js";
import { RestoreOutcome, type RestoreSummary } from "./restore-outcome.js";
import { RestoreWalk } from "./restore-walk.js";
import { RestoreWindow } from "./restore-window.js";
import { RestoreWriter } from "./writer/restore-writer.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";
import { SpecialFiles } from "./special-files.js";

export type { RestoreOptions } from "./shared/restore-options.js";
export type { RestoreSummary } from "./restore-outcome.js";

/**
 * Restores the snapshot whose root tree is `rootTree` into `target` (created
 * if missing). Meant for an empty or new directory: an entry that already
 * exists in the target is never overwritten, it is reported in `errors`.
 *
 * Trusts nothing in the trees (docs/RELIABILITY.md invariant 10): every name must
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
  const path = await prepareTarget(target, opts);
  const filter = IncludeFilter.from(opts.include);
  const outcome = new RestoreOutcome(opts);
  const metadata = new MetadataWriter(opts.restoreOwnership ?? process.getuid?.() === 0, outcome);
  const writer = new RestoreWriter(reader, opts.signal);
  const files = new FileRestorer(reader, writer, metadata, outcome);
  const jobs = new RestoreJobs(opts.signal);
  const window = new RestoreWindow(reader, files, jobs, outcome, opts.signal);
  const specials = new SpecialFiles(path, metadata, outcome);
  const walk = new RestoreWalk({ reader, window, files, specials, metadata, outcome, signal: opts.signal });
  try {
    try {
      await walk.restoreDir({ tree: rootTree, path, display: "", filter, ancestors: new Set() });
      await window.flush();
    } finally {
      // After an abort a window may still be handing out jobs: it stops at its next file, then every job is waited for.
      await window.stopped();
      await jobs.drain();
    }
    await walk.createSymlinks();
    await walk.finishDirs();
  } finally {
    // Files some of whose parts never ran are deleted here (only after an abort or a thrown error).
    await writer.close();
    await specials.close();
  }
  if (filter !== "all")
    for (const p of filter.unmatched()) outcome.warn(p, "include path matched nothing in the snapshot");
  return outcome.summary;
}

/** Creates the target if missing; warns when it holds anything. Returns its absolute path as bytes. */
async function prepareTarget(target: string, opts: RestoreOptions): Promise<Buffer> {
  const path = Buffer.from(resolve(target));
  await mkdir(path, { recursive: true });
  if ((await readdir(path)).length > 0) {
    opts.onWarning?.({ path: target, message: "target is not empty; existing entries are kept, clashes reported" });
  }
  return path;
}
