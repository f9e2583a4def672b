import { Worker } from "node:worker_threads";
import { workerEntry } from "../workers/worker-entry.js";
import { copyIntoOne } from "../workers/transfer.js";
import { ReadAheadPolicy } from "./read-ahead-policy.js";

/** Longest wait for the reads in flight when closing. */
const STOP_WAIT_MS = 2000;

/** A file to warm: its path and the size lstat gave. */
export interface ReadAheadHint {
  path: Uint8Array;
  size: number;
}

/**
 * Warms the page cache for the small files the codec workers are about to
 * read. They read synchronously, one file at a time each, which is cheapest
 * when the files are cached; on a cold cache (a first backup, a server's
 * data that nothing else reads, or after a tool that drops what it read, like
 * borg) each read waits for the disk, and two reads in flight left the disk
 * idle much of the time. A worker thread keeps four more reads in flight
 * ahead of them, started and fed only while the process reads from the disk
 * (read-ahead-policy.ts): on a warm cache it does not exist (its start alone
 * slowed warm backups: docs/PERFORMANCE.md §Cold cache).
 */
export class ReadAhead {
  private w: Worker | undefined;

  constructor(private readonly policy = new ReadAheadPolicy(() => process.resourceUsage().fsRead)) {}

  /** Files about to be read, in the order they will be. */
  hint(files: readonly ReadAheadHint[]): void {
    if (!this.policy.wants(files.length)) return;
    // Paths are views into pooled buffers, which a message would copy whole: copied into one buffer that moves.
    const paths = copyIntoOne(files.map((f) => f.path));
    const hints: ReadAheadHint[] = files.map((f, i) => ({ path: paths[i]!, size: f.size }));
    this.worker().postMessage(hints, paths.length > 0 ? [paths[0]!.buffer as ArrayBuffer] : []);
  }

  /** Whether the thread was started (tests). */
  get started(): boolean {
    return this.w !== undefined;
  }

  /** Stop once the reads in flight have closed their files (a terminated thread would leak their descriptors). */
  async close(): Promise<void> {
    const w = this.w;
    if (!w) return;
    await new Promise<void>((resolve) => {
      // A read stuck on a hung file system must not hold up the end of the backup.
      const timer = setTimeout(resolve, STOP_WAIT_MS);
      w.once("message", () => {
        clearTimeout(timer);
        resolve();
      });
      w.once("exit", resolve);
      w.postMessage("stop");
    });
    await w.terminate();
  }

  private worker(): Worker {
    if (this.w) return this.w;
    const { url, execArgv } = workerEntry("pipeline/read-ahead-worker");
    this.w = new Worker(url, { execArgv });
    // Warming is an optimisation: a failed thread must not fail the backup.
    this.w.on("error", () => undefined);
    return this.w;
  }
}
