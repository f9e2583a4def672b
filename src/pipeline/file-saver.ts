import { open } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { BlobType, type BlobId } from "../ids.js";
import { chunkStream } from "../chunker/chunk-stream.js";
import { FastCdc } from "../chunker/fastcdc.js";
import type { Uploader } from "../repository/uploader.js";
import type { AgentKey } from "../crypto/agent-key.js";

/** Read buffer size for large files: amortises syscalls, small against the 8 MiB max chunk. */
const READ_BUFFER = 1024 * 1024;

export interface SavedFile {
  content: BlobId[];
  /** Bytes actually read: the size recorded, whatever the file did meanwhile. */
  size: number;
  /** Set when the file's size, mtime or ctime changed while it was being read. */
  changedWhileReading: boolean;
}

/** A small file read whole, ahead of its turn, so many small reads overlap. */
export interface SmallFileRead {
  data: Buffer;
  after: BigIntStats;
}

/**
 * Streams one file through the chunker into the uploader. Files below the
 * chunker's minimum size are one chunk by definition and are read whole (and
 * can be read ahead); larger ones are streamed, so memory is bounded by the
 * read buffer plus one chunk.
 */
export class FileSaver {
  private readonly chunker: FastCdc;
  private readonly zeroIds = new Map<number, BlobId>();

  constructor(
    private readonly agent: AgentKey,
    gear: Uint32Array,
    private readonly params: { min: number; avg: number; max: number },
    private readonly up: Uploader,
    private readonly onBytes: (n: number) => void,
  ) {
    this.chunker = new FastCdc(gear, params);
  }

  /** Files at most this size are read whole (they cannot hold a chunk boundary). */
  get smallFileLimit(): number {
    return this.params.min;
  }

  async readSmall(path: Buffer, size: bigint): Promise<SmallFileRead> {
    const fh = await open(path, "r");
    try {
      // One byte more than expected, to notice a file that grew since lstat.
      const buf = Buffer.allocUnsafe(Number(size) + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0 || (n += bytesRead) === buf.length) break;
      }
      return { data: buf.subarray(0, Math.min(n, Number(size))), after: await fh.stat({ bigint: true }) };
    } finally {
      await fh.close();
    }
  }

  async storeSmall(r: SmallFileRead, before: BigIntStats): Promise<SavedFile> {
    const size = r.data.byteLength;
    const content: BlobId[] = [];
    if (size > 0) content.push(await this.store(r.data));
    return { content, size, changedWhileReading: changed(before, r.after, size) };
  }

  async saveLarge(path: Buffer, before: BigIntStats, signal?: AbortSignal): Promise<SavedFile> {
    const fh = await open(path, "r");
    try {
      const content: BlobId[] = [];
      let size = 0;
      for await (const chunk of chunkStream(fh.createReadStream({ highWaterMark: READ_BUFFER, autoClose: false, signal }), this.chunker)) {
        size += chunk.byteLength; // before handing the chunk over: the uploader owns it from then on
        content.push(await this.store(chunk));
      }
      return { content, size, changedWhileReading: changed(before, await fh.stat({ bigint: true }), size) };
    } finally {
      await fh.close();
    }
  }

  private async store(chunk: Uint8Array): Promise<BlobId> {
    const id = this.zeroChunkId(chunk) ?? this.agent.blobId(BlobType.Data, chunk);
    this.onBytes(chunk.byteLength);
    await this.up.add(BlobType.Data, id, chunk);
    return id;
  }

  /** All-zero chunks (sparse files) recur at the same few lengths: memoise their ids instead of hashing each. */
  private zeroChunkId(chunk: Uint8Array): BlobId | undefined {
    if (chunk.byteLength < this.params.min || chunk[0] !== 0 || chunk[chunk.byteLength - 1] !== 0) return undefined;
    if (zeros.length < chunk.byteLength) zeros = Buffer.alloc(chunk.byteLength);
    if (!zeros.subarray(0, chunk.byteLength).equals(chunk)) return undefined;
    let id = this.zeroIds.get(chunk.byteLength);
    if (!id) this.zeroIds.set(chunk.byteLength, (id = this.agent.blobId(BlobType.Data, chunk)));
    return id;
  }
}

let zeros = Buffer.alloc(0);

function changed(before: BigIntStats, after: BigIntStats, bytesRead: number): boolean {
  return after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs || after.ino !== before.ino || BigInt(bytesRead) !== after.size;
}
