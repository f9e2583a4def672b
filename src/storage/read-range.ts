import { open } from "node:fs/promises";
import type { ByteRange } from "./storage.js";
import { assertRange } from "./byte-range.js";

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
