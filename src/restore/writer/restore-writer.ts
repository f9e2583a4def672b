import type { FileHandle } from "node:fs/promises";
import type { BlobId } from "../../core/ids.js";
import type { FileWriteRequest, FileWriteResult } from "./file-write-job.js";
import { FileWriterPool } from "./file-writer-pool.js";
import { LargeFileSlots } from "./large-file-slots.js";
import type { SnapshotReader } from "../shared/snapshot-reader.js";
import { writeSparse } from "./write-sparse.js";

/** Worker threads creating small files: the main thread decodes blobs meanwhile (measured in docs/PERFORMANCE.md). */
const FILE_WRITERS = 2;

/** A file some of whose data is written: removed by `close` if the restore stops before it is complete. */
export interface Unfinished {
  remove(): Promise<void>;
}

/**
 * Where a restore's file data goes, and what writing it holds: the writer
 * threads (started on the first file that needs them: a restore of a few
 * large files from a reader without stored blobs needs none), the
 * large-file slots, and the files written in parts that are not complete.
 * `close` deletes the latter and stops the threads.
 */
export class RestoreWriter {
  private pool?: FileWriterPool;
  private readonly slots = new LargeFileSlots();
  private readonly unfinished = new Set<Unfinished>();

  constructor(
    private readonly reader: SnapshotReader,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Creates, fills and stamps one small file on a writer thread (file-write-job.ts). */
  writeFile(req: FileWriteRequest): Promise<FileWriteResult> {
    return this.threads().write(req);
  }

  /** Writes `content` into an open file from `position` on (write-sparse.ts); returns the blobs' total length. */
  writeBlobs(fh: FileHandle, content: readonly BlobId[], position = 0): Promise<number> {
    // Decoding and writing go to the writer threads when the reader hands out stored blobs (write-sparse.ts).
    const writers = this.reader.readStoredBlob && this.reader.exportBlobIdKey ? this.threads() : undefined;
    return writeSparse(this.reader, fh, content, this.signal, writers, position);
  }

  /** Runs a large file's (or part's) writes in a large-file slot (large-file-slots.ts). */
  inLargeSlot<T>(fn: () => Promise<T>): Promise<T> {
    return this.slots.run(fn);
  }

  started(f: Unfinished): void {
    this.unfinished.add(f);
  }

  settled(f: Unfinished): void {
    this.unfinished.delete(f);
  }

  /** After every file job has settled: delete files some of whose parts never ran (an abort), stop the threads. */
  async close(): Promise<void> {
    for (const f of this.unfinished) await f.remove();
    await this.pool?.close();
  }

  private threads(): FileWriterPool {
    return (this.pool ??= new FileWriterPool(FILE_WRITERS, this.reader.exportBlobIdKey?.()));
  }
}
