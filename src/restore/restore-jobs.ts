import type { RestoreContext } from "./restore-context.js";

/** Files restored at once: overlaps file-system latency (open, write, close, chmod, utimes) with reading blobs. */
export const PARALLEL_FILES = 8;

/**
 * Run `fn` in the background once fewer than PARALLEL_FILES jobs are running.
 * `fn` must record its own per-entry errors; anything it throws (an abort)
 * is kept and rethrown by drainJobs.
 */
export async function scheduleJob(ctx: RestoreContext, fn: () => Promise<void>): Promise<void> {
  while (ctx.jobs.size >= PARALLEL_FILES) await Promise.race(ctx.jobs);
  if (ctx.failure !== undefined) throw ctx.failure;
  const p: Promise<void> = fn().catch((e: unknown) => {
    ctx.failure ??= e;
  });
  ctx.jobs.add(p);
  void p.finally(() => ctx.jobs.delete(p));
}

/** Wait for every background job; rethrow the first failure. */
export async function drainJobs(ctx: RestoreContext): Promise<void> {
  while (ctx.jobs.size > 0) await Promise.all(ctx.jobs);
  if (ctx.failure !== undefined) throw ctx.failure;
}
