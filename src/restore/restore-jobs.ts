import { AbortedError } from "../errors.js";
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
 * Run `fn` in the background once fewer than PARALLEL_FILES jobs are running.
 * `fn` must record its own per-entry errors; anything it throws (an abort)
 * is kept and rethrown by drainJobs.
 */
export async function scheduleJob(ctx: RestoreContext, fn: () => Promise<void>): Promise<void> {
  // A queue of waiters, not Promise.race over the running jobs: each race added a reaction to all 64
  // promises, and a long job collected one per file scheduled while it ran.
  while (ctx.jobs.size >= PARALLEL_FILES) await new Promise<void>((resolve) => ctx.jobSlotWaiters.push(resolve));
  checkAborted(ctx.opts.signal); // no new job once the restore is aborted, even one that waited for a slot
  if (ctx.failure !== undefined) throw ctx.failure;
  const p: Promise<void> = fn().catch((e: unknown) => {
    ctx.failure ??= e;
  });
  ctx.jobs.add(p);
  void p.finally(() => {
    ctx.jobs.delete(p);
    ctx.jobSlotWaiters.shift()?.();
  });
}

/** Wait for every background job; rethrow the first failure. */
export async function drainJobs(ctx: RestoreContext): Promise<void> {
  while (ctx.jobs.size > 0) await Promise.all(ctx.jobs);
  if (ctx.failure !== undefined) throw ctx.failure;
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
