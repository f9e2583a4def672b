/** Files up to this size take the small-file path (one request to a writer thread); larger ones, and parts, take a slot. */
export const SMALL_FILE = 1024 * 1024;
/** Large files restored at once: each holds one blob (<= 8 MiB) at a time and writes through the thread pool. */
export const LARGE_FILES = 4;

/**
 * Bounds the large files (and parts of files, split-file.ts) being written
 * at once to LARGE_FILES, so their blobs in flight stay bounded whatever the
 * number of file jobs running (restore-jobs.ts). Waiters start in arrival order.
 */
export class LargeFileSlots {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  /** Runs `fn` once fewer than LARGE_FILES run; the slot is freed when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running >= LARGE_FILES) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiters.shift()?.();
    }
  }
}
