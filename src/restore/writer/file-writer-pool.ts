import { copyIntoOne } from "../../workers/transfer.js";
import { WorkerPool } from "../../workers/worker-pool.js";
import type { EncodedBlob, FileWriteRequest, FileWriteResult } from "./file-write-job.js";

/** A large file's blob weighs this many small files when choosing the least loaded worker. */
const BLOB_WEIGHT = 8;
/** A batch is sent once it holds this many files or bytes, or at the next turn of the event loop. */
const BATCH_FILES = 32;
const BATCH_BYTES = 2 * 1024 * 1024;

type Waiter = { resolve(r: FileWriteResult): void; reject(e: unknown): void };
type Batch = { files: FileWriteRequest[]; waiters: Waiter[]; bytes: number };

/**
 * Creates and fills small files on worker threads. On this kind of machine a
 * restore of many small files is bound by the main thread: each file costs
 * open, write, fchmod, futimes and close (tens of µs of kernel time each),
 * on top of decrypting and decompressing its blob. The workers take the
 * system calls, several files at once, while the main thread decodes the
 * next blobs. Requests are batched so one message carries many files.
 */
export class FileWriterPool {
  private readonly pool: WorkerPool;
  /** The batch being filled for each worker. */
  private readonly batches: (Batch | undefined)[] = [];
  /** Directory of the last file queued, and the worker it went to. */
  private lastDir: Buffer | undefined;
  private lastWorker = 0;

  /** With `idKey` (the blob-ID subkey) the workers can decode and verify EncodedBlobs themselves. */
  constructor(count: number, idKey?: Uint8Array) {
    this.pool = new WorkerPool("restore/writer/file-writer-worker", count, { idKey });
  }

  /** Resolves when the file is written (or its creation failed: see FileWriteResult). */
  write(req: FileWriteRequest): Promise<FileWriteResult> {
    const i = this.workerFor(req.path);
    return new Promise((resolve, reject) => {
      let b = this.batches[i];
      if (!b) {
        b = this.batches[i] = { files: [], waiters: [], bytes: 0 };
        setImmediate(() => this.flush(i));
      }
      b.files.push(req);
      b.waiters.push({ resolve, reject });
      b.bytes += req.size;
      if (b.files.length >= BATCH_FILES || b.bytes >= BATCH_BYTES) this.flush(i);
    });
  }

  /**
   * Files of one directory go to one worker while they come in a row (they
   * do: restore queues them by directory and pack); the next directory goes
   * to the least loaded worker. Creating a file holds its directory's lock
   * through the inode allocation, and a second thread creating in the same
   * directory spins on that lock: right after a large delete, when ext4
   * (without a journal) scans past recently freed inodes on every
   * allocation, that spinning was 8% of a restore's CPU.
   */
  private workerFor(path: Uint8Array): number {
    const slash = path.lastIndexOf(0x2f);
    const dir = Buffer.from(path.buffer, path.byteOffset, Math.max(slash, 0));
    if (this.lastDir === undefined || !dir.equals(this.lastDir)) {
      this.lastDir = dir;
      this.lastWorker = this.pool.leastLoaded();
    }
    return this.lastWorker;
  }

  /**
   * Decode and verify one blob of a large file on a worker and write it at
   * `position` of `fd`, which the caller keeps open until every blob it
   * handed over has settled (a closed and reused descriptor would take
   * another file's bytes). Resolves with the blob's length; rejects with an
   * IntegrityError when it does not verify.
   */
  writeBlobAt(fd: number, position: number, blob: EncodedBlob): Promise<number> {
    // Always a copy: the stored bytes are a view into a decrypted pack the reader may still cache (posting the
    // view would clone the whole pack, and moving a buffer that happens to be all of it would detach the cache's).
    const stored = new Uint8Array(blob.stored);
    return this.pool.call<number>(
      { blob: { fd, position, blob: { ...blob, stored } } },
      [stored.buffer as ArrayBuffer],
      BLOB_WEIGHT,
    );
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.batches.length; i++) this.flush(i);
    await this.pool.close();
  }

  private flush(i: number): void {
    const b = this.batches[i];
    if (!b || b.files.length === 0) return;
    this.batches[i] = undefined;
    const { files, buffer } = inOneBuffer(b.files);
    this.pool.call<FileWriteResult[]>({ files }, [buffer], b.files.length, i).then(
      (results) => b.waiters.forEach((w, i) => w.resolve(results[i]!)),
      (e: unknown) => b.waiters.forEach((w) => w.reject(e)),
    );
  }
}

/**
 * The batch with every path and blob copied into one buffer, each a view into
 * it, so one ArrayBuffer moves to the worker. Blobs arrive as views into
 * decrypted packs and paths as views into Node's buffer pool: posting them
 * would clone whole backing buffers, and one copied ArrayBuffer per blob and
 * path cost more in postMessage and garbage collection than this copy.
 */
export function inOneBuffer(files: readonly FileWriteRequest[]): { files: FileWriteRequest[]; buffer: ArrayBuffer } {
  const bytesOf = (b: Uint8Array | EncodedBlob): Uint8Array => (b instanceof Uint8Array ? b : b.stored);
  // Copied in the order they are taken back below: each file's path, then its blobs.
  const views = copyIntoOne(files.flatMap((f) => [f.path, ...f.blobs.map(bytesOf)]));
  let next = 0;
  const placed = files.map((f) => ({
    ...f,
    path: views[next++]!,
    blobs: f.blobs.map((b) => (b instanceof Uint8Array ? views[next++]! : { ...b, stored: views[next++]! })),
  }));
  return { files: placed, buffer: (views[0]?.buffer ?? new ArrayBuffer(0)) as ArrayBuffer };
}
