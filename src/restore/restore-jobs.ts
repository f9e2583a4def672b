import { TaskPool } from "../core/task-pool.js";
import { checkAborted } from "./shared/check-aborted.js";

/**
 * Files restored at once: enough small files in flight to fill the writer
 * workers' batches (file-writer-pool.ts) while the next blobs are decoded.
 * Each holds at most its blobs (small files are <= 1 MiB); large files are
 * limited separately (large-file-slots.ts).
 */
export const PARALLEL_FILES = 64;

/**
 * The file jobs of one restore, running in the background, PARALLEL_FILES
 * at most (a TaskPool of that size). A job must record its own per-entry
 * errors; anything it throws (an abort) is kept and rethrown by the next
 * `schedule` or by `drain`, and no job starts after it, nor once the
 * restore's signal is aborted.
 */
export class RestoreJobs {
  private readonly pool = new TaskPool(PARALLEL_FILES);

  constructor(private readonly signal?: AbortSignal) {}

  /** Jobs running now. */
  get size(): number {
    return this.pool.size;
  }

  /** Callers of `schedule` waiting for a free slot. */
  get waiting(): number {
    return this.pool.waiting;
  }

  /** Runs `fn` in the background once fewer than PARALLEL_FILES jobs run. */
  async schedule(fn: () => Promise<void>): Promise<void> {
    await this.pool.add(async () => {
      checkAborted(this.signal); // no new job once the restore is aborted, even one that waited for a slot
      await fn();
    });
  }

  /** Wait for every job; rethrow the first failure. */
  drain(): Promise<void> {
    return this.pool.drain();
  }
}
