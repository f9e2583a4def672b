/**
 * Moving bytes between threads. postMessage clones a view's entire backing
 * buffer (a 1 MiB chunk of a 16 MiB pack would copy 16 MiB, a short path one
 * of Node's 8 KiB pool slabs), while a buffer in the transfer list moves
 * without a copy; and each moved ArrayBuffer has a cost of its own in
 * postMessage and garbage collection, so many small pieces are better
 * copied into one.
 */

/** True when `b` spans its whole ArrayBuffer, so the buffer can be transferred as it is. */
export function ownsBuffer(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

/** `b` itself when it spans its whole buffer, else a copy that does. */
export function ownBuffer(b: Uint8Array): Uint8Array {
  return ownsBuffer(b) ? b : new Uint8Array(b);
}

/** The transfer list for one buffer: moved when it owns its memory, else left to be copied. */
export function transferable(b: Uint8Array): ArrayBuffer[] {
  return ownsBuffer(b) ? [b.buffer as ArrayBuffer] : [];
}

/** Copies of `parts`, in order, as views into one new ArrayBuffer (the first view's `.buffer`) that can move in one transfer. */
export function copyIntoOne(parts: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const shared = new Uint8Array(total);
  let at = 0;
  return parts.map((p) => {
    shared.set(p, at);
    at += p.byteLength;
    return shared.subarray(at - p.byteLength, at);
  });
}
