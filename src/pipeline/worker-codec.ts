import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CairnError } from "../core/errors.js";
import { fromWireError } from "../workers/wire-error.js";
import { workerEntry } from "../workers/worker-entry.js";
import { copyIntoOne, ownBuffer, ownsBuffer, transferable } from "../workers/transfer.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import {
  compressVerified,
  type CompressedBlob,
  type PackCodec,
  type SealedPack,
} from "../repository/format/pack-codec.js";
import type { CodecRequest, CodecResponse, CodecWorkerData } from "./codec-messages.js";
import type { SmallFileCodec } from "./small-file-batcher.js";
import type { SmallFileRequest, SmallFileResult } from "./small-file-job.js";
import type { ChunkerParams } from "../chunker/fastcdc.js";
import type { LargeFileBatch, LargeFileRequest } from "./large-file-job.js";

/** Raw bytes per large-file batch: one batch is packed while the worker reads the next. */
const LARGE_FILE_BATCH = 8 * 1024 * 1024;

type Slot = { w: Worker; pending: Map<number, Pending> };

/** Blobs smaller than this are compressed on the calling thread. */
const INLINE_BELOW = 16 * 1024;

type Pending = { resolve(r: CodecResponse & { ok: true }): void; reject(e: unknown): void };

/**
 * PackCodec on worker threads, so compression and encryption use the cores
 * the main thread (walk, chunk, hash) leaves free. Jobs go to the worker with
 * the fewest outstanding jobs. Raw blobs are copied to the worker; results are
 * transferred back without a copy.
 */
export class WorkerCodec implements PackCodec, SmallFileCodec {
  private readonly workers: Slot[] = [];
  private seq = 0;
  private sessions = 0;
  private readonly openFiles = new Map<number, Slot>();

  /**
   * `blobIdKey` (AgentKey.exportBlobIdKey) lets the workers hash files they
   * read (readSmallFiles); with `chunking` too they can chunk large files
   * (chunkLargeFile).
   */
  constructor(
    count = Math.max(1, availableParallelism()),
    blobIdKey?: Uint8Array,
    chunking?: { gear: Uint32Array; params: ChunkerParams },
  ) {
    const { url, execArgv } = workerEntry("pipeline/codec-worker");
    const workerData: CodecWorkerData = { blobIdKey, chunking };
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv, workerData });
      const slot = { w, pending: new Map<number, Pending>() };
      w.on("message", (m: CodecResponse) => this.settle(slot.pending, m));
      w.on("error", (e) => this.failAll(slot.pending, e));
      this.workers.push(slot);
    }
  }

  /**
   * Compress on the least busy worker. `raw` moves there (copied out first if
   * it is a view) and comes back when it does not compress, so the caller must
   * not use `raw` afterwards: the result's `bytes` is what to store.
   */
  async compress(raw: Uint8Array, level: number, what: string): Promise<CompressedBlob> {
    // A message round trip costs more than compressing a small blob: keep those on this thread.
    if (raw.byteLength < INLINE_BELOW) return compressVerified(raw, level, what);
    const own = ownBuffer(raw);
    const r = await this.call({ seq: 0, op: "compress", raw: own, level, what }, transferable(own));
    if (!("compressed" in r)) throw new CairnError("E_INTERNAL", "codec worker answered a compress with a seal");
    return { bytes: r.bytes, compressed: r.compressed };
  }

  async seal(parts: readonly Uint8Array[], recipients: readonly AgeRecipient[], what: string): Promise<SealedPack> {
    // Every part moves to the worker without a copy; the pack writer owns its parts by then (callers
    // hand blobs over and never touch them again: see BlobSaver, src/pipeline/blob-saver.ts).
    const moved = coalesceSmallParts(parts);
    const r = await this.call(
      { seq: 0, op: "seal", parts: moved, recipients: recipients.map(String), what },
      moved.map((p) => p.buffer as ArrayBuffer),
    );
    if (!("file" in r)) throw new CairnError("E_INTERNAL", "codec worker answered a seal with a compress");
    return {
      file: Buffer.from(r.file.buffer, r.file.byteOffset, r.file.byteLength),
      headerLength: r.headerLength,
      id: r.id,
    };
  }

  async readSmallFiles(files: SmallFileRequest[], level: number): Promise<SmallFileResult[]> {
    const r = await this.call({ seq: 0, op: "files", files, level });
    if (!("results" in r)) throw new CairnError("E_INTERNAL", "codec worker answered a file batch with something else");
    return r.results;
  }

  /**
   * Start reading, chunking and hashing one large file on one worker; the
   * returned iterator yields its chunks (raw, to be compressed by whichever
   * worker is free: see LargeFileReader) a batch
   * at a time, and the next batch is already being read while the caller
   * stores one. Starting early (the walk does, for files ahead of the tree
   * builder) lets both workers chunk files at once. Ending the iteration early
   * closes the file; close() closes any never iterated.
   */
  chunkLargeFile(path: Buffer, level: number): AsyncGenerator<LargeFileBatch & { ok: true }> {
    const slot = this.leastBusy();
    const session = ++this.sessions;
    const file: LargeFileRequest = { path: new Uint8Array(path), level };
    const first = this.batch(slot, { seq: 0, op: "largeOpen", session, file, rawBytes: LARGE_FILE_BATCH });
    first.catch(() => undefined); // observed when iterated
    this.openFiles.set(session, slot);
    return this.batches(slot, session, first);
  }

  private async *batches(
    slot: Slot,
    session: number,
    first: Promise<LargeFileBatch>,
  ): AsyncGenerator<LargeFileBatch & { ok: true }> {
    let next = first;
    let finished = false;
    try {
      for (;;) {
        const b = await next;
        if (!b.ok) {
          finished = true;
          throw new CairnError("E_READ", b.message);
        }
        if (b.end) {
          finished = true;
          yield b;
          return;
        }
        next = this.batch(slot, { seq: 0, op: "largeNext", session, rawBytes: LARGE_FILE_BATCH });
        yield b;
      }
    } finally {
      this.openFiles.delete(session);
      if (!finished) {
        // The prefetched batch may still be on its way: let it settle, then close the file.
        await next.catch(() => undefined);
        await this.batch(slot, { seq: 0, op: "largeClose", session }).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    // Files opened ahead but never iterated (an aborted backup): close them before the workers go.
    await Promise.all(
      [...this.openFiles].map(([session, slot]) =>
        this.batch(slot, { seq: 0, op: "largeClose", session }).catch(() => undefined),
      ),
    );
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }

  private async batch(slot: Slot, req: CodecRequest): Promise<LargeFileBatch> {
    const r = await this.callOn(slot, req);
    if (!("batch" in r))
      throw new CairnError("E_INTERNAL", "codec worker answered a large-file request with something else");
    return r.batch;
  }

  private leastBusy(): Slot {
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private call(req: CodecRequest, transfer: ArrayBuffer[] = []): Promise<CodecResponse & { ok: true }> {
    return this.callOn(this.leastBusy(), req, transfer);
  }

  private callOn(slot: Slot, req: CodecRequest, transfer: ArrayBuffer[] = []): Promise<CodecResponse & { ok: true }> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.w.postMessage({ ...req, seq }, transfer);
    });
  }

  private settle(pending: Map<number, Pending>, m: CodecResponse): void {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.ok) p.resolve(m);
    // An IntegrityError keeps its class and the object it names; anything else is a codec failure.
    else p.reject(m.error.integrity ? fromWireError(m.error) : new CairnError("E_CODEC", m.error.message));
  }

  private failAll(pending: Map<number, Pending>, e: unknown): void {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  }
}

/** Parts at least this large that own their buffer move to a seal as they are. */
const MOVE_WHOLE = 64 * 1024;

/**
 * The parts of a pack as buffers that each own their memory: large owned
 * parts as they are, runs of the others (small blobs, views into a batch's
 * buffer, trees) copied together. A pack of small files holds thousands of
 * blobs; moving each as its own ArrayBuffer cost more in postMessage and
 * garbage collection than copying them (at most one pack, ~16 MiB), and a
 * view would have cloned its whole backing buffer.
 */
export function coalesceSmallParts(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(new Uint8Array(copyIntoOne(run)[0]!.buffer));
    run = [];
  };
  for (const p of parts) {
    if (p.byteLength >= MOVE_WHOLE && ownsBuffer(p)) {
      flush();
      out.push(p);
    } else {
      run.push(p);
    }
  }
  flush();
  return out;
}
