import type { FileHandle } from "node:fs/promises";
import type { BlobId } from "../ids.js";
import { decodeWithIdKey } from "../repository/blob-decode.js";
import { checkAborted } from "./restore-context.js";
import { isAllZero } from "../all-zero.js";
import type { SnapshotReader } from "./snapshot-reader.js";
import { ScratchBuffer } from "../scratch-buffer.js";

/**
 * Writes the blobs in order at their offsets, skipping all-zero blobs so they
 * become holes (the caller truncates to the final size, which also creates a
 * trailing hole). Returns the total length of the blobs. Sequential on
 * purpose: one blob in memory at a time.
 */
export async function writeSparse(reader: SnapshotReader, fh: FileHandle, content: BlobId[], signal?: AbortSignal): Promise<number> {
  const read = blobReader(reader);
  let position = 0;
  for (const id of content) {
    checkAborted(signal);
    const blob = await read(id);
    if (!isAllZero(blob)) await writeAll(fh, blob, position);
    position += blob.length;
  }
  return position;
}

/** A positional write may be short; loop until the whole blob is down. */
async function writeAll(fh: FileHandle, blob: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < blob.length) {
    const { bytesWritten } = await fh.write(blob, done, blob.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Reads the file's blobs one after the other. With a reader that hands out
 * stored blobs, they are decompressed into one buffer reused for the whole
 * file: a fresh buffer per blob was most of the memory a restore allocated
 * on the main thread (each a page-faulted allocation, and every 64 MiB of
 * them a full garbage collection).
 */
function blobReader(reader: SnapshotReader): (id: BlobId) => Promise<Uint8Array> {
  const idKey = reader.readStoredBlob && reader.exportBlobIdKey?.();
  if (!idKey) return (id) => reader.readBlob(id);
  const scratch = new ScratchBuffer();
  return async (id) => {
    const s = await reader.readStoredBlob!(id);
    return decodeWithIdKey(s, id, idKey, s.compressed ? scratch.atLeast(s.rawLength) : undefined);
  };
}
