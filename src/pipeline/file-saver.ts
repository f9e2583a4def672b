import { open } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { BlobType, type BlobId } from "../core/ids.js";
import { chunkStream } from "../chunker/chunk-stream.js";
import { FastCdc } from "../chunker/fastcdc.js";
import type { BlobKeying } from "./backup-repository.js";
import type { BlobSaver } from "./blob-saver.js";
import { changedWhileRead, type SmallFileBlob } from "./small-file-job.js";
import type { LargeFileChunks } from "./walk.js";
import { isZeroChunk } from "../core/all-zero.js";
import { NotRegularError, OPEN_REGULAR } from "./open-regular.js";

/** Read buffer size for large files: amortises syscalls, small against the 8 MiB max chunk. */
const READ_BUFFER = 1024 * 1024;

export interface SavedFile {
  content: BlobId[];
  /** Bytes actually read: the size recorded, whatever the file did meanwhile. */
  size: number;
  /** Set when the file's size, mtime or ctime changed while it was being read. */
  changedWhileReading: boolean;
}

/**
 * Streams a large file through the chunker into the uploader, so memory is
 * bounded by the read buffer plus one chunk, and stores the blobs of small
 * files, which the walk has read, hashed and compressed (small-file-job.ts).
 */
export class FileSaver {
  private readonly chunker: FastCdc;
  private readonly zeroIds = new Map<number, BlobId>();

  constructor(
    private readonly agent: BlobKeying,
    gear: Uint32Array,
    private readonly params: { min: number; avg: number; max: number },
    private readonly up: BlobSaver,
    private readonly onBytes: (n: number) => void,
  ) {
    this.chunker = new FastCdc(gear, params);
  }

  /** Files at most this size are one chunk: the walk reads them whole, in batches (small-file-job.ts). */
  get smallFileLimit(): number {
    return this.params.min;
  }

  /** Store a small file's blob, read, hashed and compressed by the small-file job. */
  async storeRead(blob: SmallFileBlob): Promise<BlobId> {
    this.onBytes(blob.rawLength);
    await this.up.addCompressed(BlobType.Data, blob.id, blob.rawLength, {
      bytes: blob.bytes,
      compressed: blob.compressed,
    });
    return blob.id;
  }

  /**
   * Store a file larger than one chunk: from the batches of a worker already
   * chunking it (`started`, see WalkContext.startLargeFile), else streamed
   * through the chunker here.
   */
  async saveLarge(
    path: Buffer,
    before: BigIntStats,
    signal?: AbortSignal,
    started?: LargeFileChunks,
  ): Promise<SavedFile> {
    if (started) return this.saveChunked(started, before, signal);
    const fh = await open(path, OPEN_REGULAR);
    try {
      if (!(await fh.stat()).isFile()) throw new NotRegularError();
      const content: BlobId[] = [];
      let size = 0;
      for await (const chunk of chunkStream(
        fh.createReadStream({ highWaterMark: READ_BUFFER, autoClose: false, signal }),
        this.chunker,
      )) {
        size += chunk.byteLength; // before handing the chunk over: the uploader owns it from then on
        content.push(await this.store(chunk));
      }
      return { content, size, changedWhileReading: changedWhileRead(before, await fh.stat({ bigint: true }), size) };
    } finally {
      await fh.close();
    }
  }

  private async saveChunked(batches: LargeFileChunks, before: BigIntStats, signal?: AbortSignal): Promise<SavedFile> {
    const content: BlobId[] = [];
    for await (const batch of batches) {
      for (const b of batch.blobs) {
        this.onBytes(b.rawLength);
        content.push(b.id);
        if (b.encoded)
          await this.up.addCompressed(BlobType.Data, b.id, b.rawLength, { bytes: b.bytes, compressed: b.compressed });
        else await this.up.add(BlobType.Data, b.id, b.bytes);
      }
      const { end } = batch;
      if (end) return { content, size: end.size, changedWhileReading: changedWhileRead(before, end.after, end.size) };
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    }
    throw new Error("large-file chunking ended without the end of the file");
  }

  /** Chunk and store a byte stream of unknown length (a dump command's stdout): no temporary copy. */
  async saveStream(source: AsyncIterable<Uint8Array>): Promise<{ content: BlobId[]; size: number }> {
    const content: BlobId[] = [];
    let size = 0;
    for await (const chunk of chunkStream(source, this.chunker)) {
      size += chunk.byteLength;
      content.push(await this.store(chunk));
    }
    return { content, size };
  }

  private async store(chunk: Uint8Array): Promise<BlobId> {
    const id = this.zeroChunkId(chunk) ?? this.agent.blobId(BlobType.Data, chunk);
    this.onBytes(chunk.byteLength);
    await this.up.add(BlobType.Data, id, chunk);
    return id;
  }

  /** All-zero chunks (sparse files) recur at the same few lengths: memoise their ids instead of hashing each. */
  private zeroChunkId(chunk: Uint8Array): BlobId | undefined {
    if (!isZeroChunk(chunk, this.params.min)) return undefined;
    let id = this.zeroIds.get(chunk.byteLength);
    if (!id) this.zeroIds.set(chunk.byteLength, (id = this.agent.blobId(BlobType.Data, chunk)));
    return id;
  }
}
