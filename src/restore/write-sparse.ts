import type { FileHandle } from "node:fs/promises";
import type { BlobId } from "../ids.js";
import { checkAborted } from "./restore-context.js";
import { isAllZero } from "../all-zero.js";
import type { SnapshotReader } from "./snapshot-reader.js";

/**
 * Writes the blobs in order at their offsets, skipping all-zero blobs so they
 * become holes (the caller truncates to the final size, which also creates a
 * trailing hole). Returns the total length of the blobs. Sequential on
 * purpose: one blob in memory at a time.
 */
export async function writeSparse(reader: SnapshotReader, fh: FileHandle, content: BlobId[], signal?: AbortSignal): Promise<number> {
  let position = 0;
  for (const id of content) {
    checkAborted(signal);
    const blob = await reader.readBlob(id);
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
