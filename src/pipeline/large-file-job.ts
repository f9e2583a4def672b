import { closeSync, fstatSync, readSync } from "node:fs";
import { openRegularSync } from "./open-regular.js";
import { PendingChunk } from "../chunker/chunk-stream.js";
import { FastCdc, type ChunkerParams } from "../chunker/fastcdc.js";
import { keyedBlobId } from "../crypto/agent-key.js";
import { BlobType, type BlobId } from "../core/ids.js";
import { compressVerified } from "../repository/format/pack-codec.js";
import type { FileVersion } from "./small-file-job.js";
import { isAllZero, isZeroChunk } from "../core/all-zero.js";
import { ownBuffer } from "../workers/transfer.js";

/** Read size: fresh buffers, so a chunk's pieces are referenced, not copied, until the chunk ends. */
const READ_SIZE = 1024 * 1024;

export interface LargeFileRequest {
  path: Uint8Array;
  /** For the all-zero chunks, which come back compressed (see `zeroChunks`). */
  level: number;
}

export interface ChunkedBlob {
  id: BlobId;
  rawLength: number;
  /** False: `bytes` is the raw chunk, not yet compressed (or incompressible when `encoded`). Only all-zero chunks come encoded. */
  compressed: boolean;
  encoded: boolean;
  /** Owns its whole buffer, so it moves between threads without a copy. */
  bytes: Uint8Array;
}

export type LargeFileBatch =
  | { ok: true; blobs: ChunkedBlob[]; end?: { size: number; after: FileVersion } }
  | { ok: false; message: string; blobs?: undefined };

/**
 * Reads, chunks, hashes (and for new files compresses) one large file on a
 * codec worker, a batch of chunks per request, so the main thread only packs
 * what comes back. The file stays open between batches; the main thread asks
 * for the next batch when it has taken the last, which bounds memory to about
 * two batches per file.
 */
export class LargeFileReader {
  private readonly fd: number;
  private readonly chunker: FastCdc;
  private readonly pending = new PendingChunk();
  private position = 0;
  private closed = false;

  constructor(
    private readonly req: LargeFileRequest,
    gear: Uint32Array,
    params: ChunkerParams,
    private readonly idKey: Uint8Array,
  ) {
    this.fd = openRegularSync(Buffer.from(req.path.buffer, req.path.byteOffset, req.path.byteLength));
    this.chunker = new FastCdc(gear, params);
  }

  /** Chunks covering at least `rawBytes` more of the file (fewer at its end, then `end` is set and the file closed). */
  next(rawBytes: number): LargeFileBatch {
    const blobs: ChunkedBlob[] = [];
    let taken = 0;
    try {
      while (taken < rawBytes) {
        const buf = Buffer.allocUnsafeSlow(READ_SIZE);
        const n = this.read(buf);
        if (n === 0) {
          if (this.pending.length > 0) blobs.push(this.blob(this.pending.finish(new Uint8Array(0))));
          const st = fstatSync(this.fd, { bigint: true });
          this.close();
          return {
            ok: true,
            blobs,
            end: {
              size: this.position,
              after: { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino },
            },
          };
        }
        this.position += n;
        taken += n;
        const data = buf.subarray(0, n);
        let pos = 0;
        for (let cut = this.chunker.next(data, 0); cut >= 0; cut = this.chunker.next(data, pos)) {
          blobs.push(this.blob(this.pending.finish(data.subarray(pos, cut))));
          pos = cut;
        }
        if (pos < n) this.pending.add(data.subarray(pos));
      }
      return { ok: true, blobs };
    } catch (e) {
      this.close();
      if (e instanceof ReadFailure) return { ok: false, message: e.message };
      throw e; // not the file's fault (a compressor that fails its check): fails the backup
    }
  }

  private read(buf: Buffer): number {
    try {
      return readSync(this.fd, buf, 0, buf.length, this.position);
    } catch (e) {
      throw new ReadFailure((e as Error).message);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private blob(raw: Uint8Array): ChunkedBlob {
    const zero = zeroChunks.get(raw.byteLength);
    if (zero && isAllZero(raw)) return { ...zero, bytes: new Uint8Array(zero.bytes) };
    const id = keyedBlobId(this.idKey, BlobType.Data, raw);
    // Sparse files and zeroed images repeat all-zero chunks of a few lengths: hash and compress each length once.
    if (zeroChunks.size < 64 && isZeroChunk(raw, 4096)) {
      const c = compressVerified(raw, this.req.level, id);
      const blob = {
        id,
        rawLength: raw.byteLength,
        compressed: c.compressed,
        encoded: true,
        bytes: ownBuffer(c.bytes),
      };
      zeroChunks.set(raw.byteLength, { ...blob, bytes: new Uint8Array(blob.bytes) });
      return blob;
    }
    // Other chunks go back raw: the main thread drops the ones already stored and has the rest compressed
    // on whichever worker is free. Compressing here, on the one thread that chunks this file, left the
    // other core idle while a single large file was read (docs/PERFORMANCE.md §Figures behind choices in the code).
    return { id, rawLength: raw.byteLength, compressed: false, encoded: false, bytes: raw };
  }
}

/** Encoded all-zero chunks by length; per worker, and a worker serves one repository (its blob-ID key is fixed at start). */
const zeroChunks = new Map<number, ChunkedBlob>();

/** A read error: the file is skipped with a warning, unlike a failure of the codec. */
class ReadFailure extends Error {}
