import { open } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { BlobType, type BlobId } from "../ids.js";
import { chunkStream } from "../chunker/chunk-stream.js";
import { FastCdc } from "../chunker/fastcdc.js";
import type { Uploader } from "../repository/uploader.js";
import type { AgentKey } from "../crypto/agent-key.js";

/** Read buffer size: large enough to amortise syscalls, small against the 8 MiB max chunk. */
const READ_BUFFER = 1024 * 1024;

export interface SavedFile {
  content: BlobId[];
  /** Bytes actually read: the size recorded, whatever the file did meanwhile. */
  size: number;
  /** Set when the file's size, mtime or ctime changed while it was being read. */
  changedWhileReading: boolean;
}

/**
 * Streams one file through the chunker into the uploader. Memory is bounded
 * by the read buffer plus one chunk; nothing reads the file whole.
 */
export class FileSaver {
  private readonly chunker: FastCdc;

  constructor(
    private readonly agent: AgentKey,
    gear: Uint32Array,
    params: { min: number; avg: number; max: number },
    private readonly up: Uploader,
    private readonly onBytes: (n: number) => void,
  ) {
    this.chunker = new FastCdc(gear, params);
  }

  async save(path: Buffer, before: BigIntStats, signal?: AbortSignal): Promise<SavedFile> {
    // O_NOFOLLOW is implied: `path` was lstat'ed as a regular file; a swap to a symlink fails the fstat comparison below.
    const fh = await open(path, "r");
    try {
      this.chunker.reset();
      const content: BlobId[] = [];
      let size = 0;
      for await (const chunk of chunkStream(fh.createReadStream({ highWaterMark: READ_BUFFER, autoClose: false, signal }), this.chunker)) {
        const id = this.agent.blobId(BlobType.Data, chunk);
        await this.up.add(BlobType.Data, id, chunk);
        content.push(id);
        size += chunk.byteLength;
        this.onBytes(chunk.byteLength);
      }
      const after = await fh.stat({ bigint: true });
      const changed = after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs || after.ino !== before.ino || BigInt(size) !== after.size;
      return { content, size, changedWhileReading: changed };
    } finally {
      await fh.close();
    }
  }
}
