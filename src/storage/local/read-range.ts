import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { ByteRange } from "../storage.js";
import { assertRange } from "../byte-range.js";

/**
 * Reads `range` of the file at `path` with positioned reads. Returns fewer
 * bytes only when the range runs past the end of the file; the buffer is
 * sized from the file, so a huge `length` never causes a huge allocation.
 */
export async function readRange(path: string, range: ByteRange): Promise<Uint8Array> {
  assertRange(range);
  return range.length <= SYNC_RANGE
    ? readSmallRange(path, range.offset, range.length)
    : readFrom(path, range.offset, range.length);
}

/**
 * Ranges up to this size are read with synchronous calls. A restore reads
 * hundreds to thousands of single blobs by range (BlobReader), and the four
 * thread-pool round trips of the asynchronous path (open, stat, read, close)
 * cost the main thread far more than the system calls themselves on a local
 * file (docs/PERFORMANCE.md §Restore: thread-pool round trips). The blocking
 * is bounded by one read of at most this size.
 */
const SYNC_RANGE = 1024 * 1024;

function readSmallRange(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    // No stat: `length` is small, and a read that meets the end of the file returns what is there.
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The whole file, in as few reads as the kernel allows: an object never
 * changes once written, so its size is known up front. fs.readFile reads in
 * 512 KiB pieces, each a thread-pool round trip; for a 16 MiB pack that was
 * 32 wake-ups of a pool thread where one read does.
 */
export async function readWhole(path: string): Promise<Uint8Array> {
  return readFrom(path, 0, Number.MAX_SAFE_INTEGER);
}

async function readFrom(path: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const want = Math.max(0, Math.min(length, size - offset));
    // Not zero-filled (that was a pass over every pack): every byte is read over, and a short read returns only what was read.
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(want).buffer, 0, want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break; // EOF: the file is shorter than stat said
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  } finally {
    await handle.close();
  }
}
