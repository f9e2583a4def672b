import type { FastCdc } from "./fastcdc.js";

/**
 * Split a byte stream into content-defined chunks.
 *
 * Each yielded chunk is a fresh, exactly-sized buffer the consumer may keep:
 * every byte is copied exactly once, from the input buffers into the chunk.
 *
 * Assumption: the source does not modify a buffer after yielding it. The bytes
 * of an unfinished chunk are held by reference until its end is found, possibly
 * across several source iterations. fs.createReadStream, Readable streams and
 * fetch bodies all hand out fresh buffers; a source that recycles one buffer
 * (e.g. a FileHandle.read loop into a fixed buffer) must copy before yielding.
 *
 * Memory: at most one max-size chunk of pending references, plus the input
 * buffer they start in. The chunker is reset first, so chunks never span streams.
 * An empty source yields nothing.
 *
 * @example
 * for await (const chunk of chunkStream(fs.createReadStream(path), new FastCdc(gear, params))) {
 *   await store(chunk);
 * }
 */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, chunker: FastCdc): AsyncGenerator<Uint8Array> {
  chunker.reset();
  const pending = new PendingChunk();
  for await (const buf of source) {
    let pos = 0;
    for (let cut = chunker.next(buf, 0); cut >= 0; cut = chunker.next(buf, pos)) {
      yield pending.finish(buf.subarray(pos, cut));
      pos = cut;
    }
    if (pos < buf.length) pending.add(buf.subarray(pos));
  }
  if (pending.length > 0) yield pending.finish(new Uint8Array(0));
  chunker.reset();
}

/** The pieces of the chunk being read, by reference into the source's buffers. */
export class PendingChunk {
  private pieces: Uint8Array[] = [];
  length = 0;

  add(piece: Uint8Array): void {
    this.pieces.push(piece);
    this.length += piece.length;
  }

  /** Copy the pending pieces and `last` into one new buffer, and start over. */
  finish(last: Uint8Array): Uint8Array {
    // allocUnsafeSlow: every byte is overwritten below, and an unpooled buffer
    // does not pin an 8 KiB pool slab shared with unrelated small buffers.
    const out = Buffer.allocUnsafeSlow(this.length + last.length);
    let at = 0;
    for (const piece of this.pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    out.set(last, at);
    this.pieces = [];
    this.length = 0;
    return out;
  }
}
