/**
 * All-zero blobs: sparse files and zeroed images are mostly these. Backup
 * memoises their IDs (and, on the codec workers, their encoded form) per
 * length; restore leaves them out of the file, as holes.
 */

/** Blobs are at most 8 MiB, so one shared zero buffer covers a whole blob in one memcmp. */
const ZEROS = Buffer.alloc(8 * 1024 * 1024);

export function isAllZero(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < buf.length; off += ZEROS.length) {
    const piece = buf.subarray(off, off + ZEROS.length);
    if (!piece.equals(ZEROS.subarray(0, piece.length))) return false;
  }
  return true;
}

/** isAllZero for a chunk worth memoising: at least `min` bytes; the two end bytes rule out most chunks without a scan. */
export function isZeroChunk(chunk: Uint8Array, min: number): boolean {
  return chunk.byteLength >= min && chunk[0] === 0 && chunk[chunk.byteLength - 1] === 0 && isAllZero(chunk);
}
