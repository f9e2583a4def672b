import { AbortedError } from "../core/errors.js";
import { checkAborted, recordError, type RestoreContext } from "./restore-context.js";

/**
 * Files restored at once: enough small files in flight to fill the writer
 * workers' batches (file-writer-pool.ts) while the next blobs are decoded.
 * Each holds at most its blobs (small files are <= 1 MiB); large files are
 * limited separately (LARGE_FILES).
 */
export const PARALLEL_FILES = 64;
/** Large files restored at once: each holds one blob (<= 8 MiB) at a time and writes through the thread pool. */
export const LARGE_FILES = 4;

/**
 * Run `fn` in the background once fewer than PARALLEL_FILES jobs are running
 * (ctx.jobs, a TaskPool of that size). `fn` must record its own per-entry
 * errors; anything it throws (an abort) is kept and rethrown by the next
 * scheduleJob or by drainJobs, and no job starts after it.
 */
export async function scheduleJob(ctx: RestoreContext, fn: () => Promise<void>): Promise<void> {
  await ctx.jobs.add(async () => {
    checkAborted(ctx.opts.signal); // no new job once the restore is aborted, even one that waited for a slot
    await fn();
  });
}

/** Wait for every background job; rethrow the first failure. */
export function drainJobs(ctx: RestoreContext): Promise<void> {
  return ctx.jobs.drain();
}

/** Run `fn` for one entry: its failure is recorded against `display` and the restore goes on; an abort is rethrown. */
export async function guarded(ctx: RestoreContext, display: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    recordError(ctx, display, err);
  }
}
