import { Worker } from "node:worker_threads";
import { CairnError } from "../errors.js";
import { workerEntry } from "../workers/worker-entry.js";
import type { FileWriteRequest, FileWriteResult } from "./file-write-job.js";
import type { FileWriterRequest, FileWriterResponse } from "./file-writer-worker.js";

/** A batch is sent once it holds this many files or bytes, or at the next turn of the event loop. */
const BATCH_FILES = 32;
const BATCH_BYTES = 2 * 1024 * 1024;

type Waiter = { resolve(r: FileWriteResult): void; reject(e: unknown): void };
type Slot = { w: Worker; pending: Map<number, Waiter[]>; files: number };

/**
 * Creates and fills small files on worker threads. On this kind of machine a
 * restore of many small files is bound by the main thread: each file costs
 * open, write, fchmod, futimes and close (tens of µs of kernel time each),
 * on top of decrypting and decompressing its blob. The workers take the
 * system calls, several files at once, while the main thread decodes the
 * next blobs. Requests are batched so one message carries many files.
 */
export class FileWriterPool {
  private readonly slots: Slot[] = [];
  private batch: { files: FileWriteRequest[]; waiters: Waiter[]; bytes: number } | undefined;
  private seq = 0;
  private failure: Error | undefined;

  /** With `idKey` (the blob-ID subkey) the workers can decode and verify EncodedBlobs themselves. */
  constructor(count: number, idKey?: Uint8Array) {
    const { url, execArgv } = workerEntry("restore/file-writer-worker");
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv, workerData: { idKey } });
      const slot: Slot = { w, pending: new Map(), files: 0 };
      w.on("message", (m: FileWriterResponse) => this.settle(slot, m));
      w.on("error", (e) => this.fail(slot, e));
      this.slots.push(slot);
    }
  }

  /** Resolves when the file is written (or its creation failed: see FileWriteResult). */
  write(req: FileWriteRequest): Promise<FileWriteResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = { files: [], waiters: [], bytes: 0 };
        setImmediate(() => this.flush());
      }
      this.batch.files.push(req);
      this.batch.waiters.push({ resolve, reject });
      this.batch.bytes += req.size;
      if (this.batch.files.length >= BATCH_FILES || this.batch.bytes >= BATCH_BYTES) this.flush();
    });
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.slots.map((s) => s.w.terminate()));
  }

  private flush(): void {
    const b = this.batch;
    if (!b || b.files.length === 0) return;
    this.batch = undefined;
    const slot = this.slots.reduce((a, s) => (s.files < a.files ? s : a));
    const seq = ++this.seq;
    slot.pending.set(seq, b.waiters);
    slot.files += b.files.length;
    slot.w.postMessage({ seq, files: b.files } satisfies FileWriterRequest);
  }

  private settle(slot: Slot, m: FileWriterResponse): void {
    const waiters = slot.pending.get(m.seq);
    if (!waiters) return;
    slot.pending.delete(m.seq);
    slot.files -= waiters.length;
    waiters.forEach((w, i) => w.resolve(m.results[i]!));
  }

  private fail(slot: Slot, e: unknown): void {
    this.failure = new CairnError("E_RESTORE_WORKER", `a file-writing worker failed: ${(e as Error)?.message ?? e}`);
    for (const waiters of slot.pending.values()) for (const w of waiters) w.reject(this.failure);
    slot.pending.clear();
  }
}
