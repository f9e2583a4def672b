import { open } from "node:fs/promises";
import type { ByteRange } from "./storage.js";

/**
 * Reads `range` of the file at `path` with positioned reads. Returns fewer
 * bytes only when the range runs past the end of the file; the buffer is
 * sized from the file, so a huge `length` never causes a huge allocation.
 */
export async function readRange(path: string, range: ByteRange): Promise<Uint8Array> {
  assertRange(range);
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const want = Math.max(0, Math.min(range.length, size - range.offset));
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buf, got, want - got, range.offset + got);
      if (bytesRead === 0) break; // EOF: the file is shorter than stat said
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  } finally {
    await handle.close();
  }
}

function assertRange({ offset, length }: ByteRange): void {
  const ok = Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0;
  if (!ok) throw new RangeError(`invalid byte range offset=${offset} length=${length}`);
}
