import { closeSync, fstatSync, readSync } from "node:fs";
import { openRegularSync } from "./open-regular.js";
import { BlobType, type BlobId } from "../core/ids.js";
import { keyedBlobId } from "../crypto/agent-key.js";
import { compressVerified } from "../repository/format/pack-codec.js";
import { copyIntoOne } from "../workers/transfer.js";
import { ScratchBuffer } from "../core/scratch-buffer.js";

/** A small file to read whole: at most the chunker's minimum size, so it is exactly one chunk. */
export interface SmallFileRequest {
  path: Uint8Array;
  /** Size from lstat; one byte more is read to notice a file that grew. */
  size: number;
}

/** What identifies a file's version: compared before and after reading (changed while read). */
export interface FileVersion {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

export interface SmallFileBlob {
  id: BlobId;
  rawLength: number;
  compressed: boolean;
  /** Compressed bytes, or the raw bytes when compression did not pay; a view into a buffer the batch's blobs share. */
  bytes: Uint8Array;
}

export type SmallFileResult =
  { ok: true; size: number; after: FileVersion; blob?: SmallFileBlob } | { ok: false; message: string };

/**
 * Reads, hashes and compresses a batch of small files with synchronous calls.
 * Runs on a codec worker thread (or inline with `--workers 0`): for the
 * thousands of small files of a typical tree, one message per batch and plain
 * syscalls cost far less than four thread-pool round trips per file on the
 * main thread (docs/PERFORMANCE.md). Failures are per file.
 */
export function readSmallFiles(reqs: readonly SmallFileRequest[], level: number, idKey: Uint8Array): SmallFileResult[] {
  const results = reqs.map((r): SmallFileResult => {
    try {
      return readOne(r, level, idKey);
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  });
  shareOneBuffer(results);
  return results;
}

/**
 * Put the batch's blobs into one buffer (each blob a view into it): one
 * ArrayBuffer to move back to the main thread instead of one per file, which
 * cost more in postMessage and garbage collection than the copy.
 */
function shareOneBuffer(results: SmallFileResult[]): void {
  const blobs = results.flatMap((r) => (r.ok && r.blob ? [r.blob] : []));
  copyIntoOne(blobs.map((b) => b.bytes)).forEach((view, i) => (blobs[i]!.bytes = view));
}

/** Read buffer reused across files: the raw bytes are only needed until compressed (or copied). */
const readScratch = new ScratchBuffer(64 * 1024);

function readOne(r: SmallFileRequest, level: number, idKey: Uint8Array): SmallFileResult {
  const fd = openRegularSync(Buffer.from(r.path.buffer, r.path.byteOffset, r.path.byteLength));
  const buf = readScratch.atLeast(r.size + 1).subarray(0, r.size + 1);
  let n = 0;
  let st;
  try {
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0 || (n += got) === buf.length) break;
    }
    st = fstatSync(fd, { bigint: true });
  } finally {
    closeSync(fd);
  }
  const size = Math.min(n, r.size);
  const after: FileVersion = { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
  if (size === 0) return { ok: true, size, after };
  const raw = buf.subarray(0, size);
  const id = keyedBlobId(idKey, BlobType.Data, raw);
  const c = compressVerified(raw, level, id);
  // An incompressible blob is stored raw: copied out of the read buffer, which the next file reuses.
  const bytes = c.compressed ? c.bytes : new Uint8Array(raw);
  return { ok: true, size, after, blob: { id, rawLength: size, compressed: c.compressed, bytes } };
}

/** True when the file changed between lstat and the end of reading it, or was not read whole. */
export function changedWhileRead(before: FileVersion, after: FileVersion, bytesRead: number): boolean {
  return (
    after.size !== before.size ||
    after.mtimeNs !== before.mtimeNs ||
    after.ctimeNs !== before.ctimeNs ||
    after.ino !== before.ino ||
    BigInt(bytesRead) !== after.size
  );
}
