import type { FileHandle } from "node:fs/promises";
import type { BlobId } from "../../core/ids.js";
import { isAllZero } from "../../core/all-zero.js";
import { checkAborted } from "../shared/check-aborted.js";
import type { SnapshotReader } from "../shared/snapshot-reader.js";
import type { FileWriterPool } from "./file-writer-pool.js";

/** The writer threads, as far as a large file needs them. */
type BlobWriters = Pick<FileWriterPool, "writeBlobAt">;

/** Blobs of one large file being decoded and written on the writer threads at once. */
const BLOBS_IN_FLIGHT = 2;

/**
 * Writes the blobs in order at their offsets from `start` (a part of a file,
 * split-file.ts), skipping all-zero blobs so they become holes (the caller
 * truncates to the final size, which also creates a trailing hole). Returns
 * the total length of the blobs. With `writers` and a
 * reader that hands out stored blobs, each blob is decoded, verified and
 * written on a writer thread (two at a time per file, each decompressed into
 * a buffer the worker reuses); otherwise here, one blob in memory at a time.
 */
export async function writeSparse(
  reader: SnapshotReader,
  fh: FileHandle,
  content: readonly BlobId[],
  signal?: AbortSignal,
  writers?: BlobWriters,
  start = 0,
): Promise<number> {
  if (writers && reader.readStoredBlob) return writeOnWorkers(reader, writers, fh.fd, content, start, signal);
  let position = start;
  for (const id of content) {
    checkAborted(signal);
    const blob = await reader.readBlob(id);
    if (!isAllZero(blob)) await writeAll(fh, blob, position);
    position += blob.length;
  }
  return position - start;
}

/**
 * The main thread only reads each stored blob (usually from a cached pack);
 * decompressing and hashing it (HMAC-SHA256 over every byte) and the write
 * itself belong on the writer threads (docs/PERFORMANCE.md §Restore:
 * thread-pool round trips). A blob's
 * position follows from the stored lengths, which the writer checks against
 * what it decodes. Every write handed over has settled before this returns
 * or throws, so the caller may close the descriptor.
 */
async function writeOnWorkers(
  reader: SnapshotReader,
  writers: BlobWriters,
  fd: number,
  content: readonly BlobId[],
  start: number,
  signal?: AbortSignal,
): Promise<number> {
  const inFlight: Promise<number>[] = [];
  let position = start;
  try {
    for (const id of content) {
      checkAborted(signal);
      const s = await reader.readStoredBlob!(id);
      const write = writers.writeBlobAt(fd, position, { ...s, id });
      write.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection first
      inFlight.push(write);
      position += s.rawLength;
      if (inFlight.length >= BLOBS_IN_FLIGHT) await inFlight.shift();
    }
    while (inFlight.length > 0) await inFlight.shift();
  } catch (err) {
    await Promise.allSettled(inFlight);
    throw err;
  }
  return position - start;
}

/** A positional write may be short; loop until the whole blob is down. */
async function writeAll(fh: FileHandle, blob: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < blob.length) {
    const { bytesWritten } = await fh.write(blob, done, blob.length - done, position + done);
    done += bytesWritten;
  }
}
