import type { PutBody } from "./storage.js";
import { bodyChunks } from "./put-body.js";

export interface Part {
  /** 1-based, as S3 part numbers and our Azure block ids count. */
  number: number;
  bytes: Uint8Array;
  /** No part follows this one. */
  last: boolean;
}

/**
 * Cuts a put body into parts of exactly `partSize` bytes (the last one
 * shorter) for multipart / block uploads. Holds at most one part plus one
 * source chunk, so memory stays bounded whatever the object size. A body that
 * is already a Uint8Array is sliced without copying.
 */
export class PartReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private pending: Uint8Array | undefined;
  private ended = false;
  private count = 0;

  constructor(
    body: PutBody,
    private readonly partSize: number,
  ) {
    this.source = bodyChunks(body)[Symbol.asyncIterator]();
  }

  /** The next part, or undefined after the last one (an empty body yields one empty part). */
  async next(): Promise<Part | undefined> {
    if (this.ended && this.pending === undefined && this.count > 0) return undefined;
    const pieces: Uint8Array[] = [];
    let size = 0;
    while (size < this.partSize) {
      const chunk = await this.take();
      if (chunk === undefined) break;
      const room = this.partSize - size;
      if (chunk.length > room) this.pending = chunk.subarray(room);
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      pieces.push(piece);
      size += piece.length;
    }
    const last = !(await this.hasMore());
    this.count++;
    return { number: this.count, bytes: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size), last };
  }

  private async take(): Promise<Uint8Array | undefined> {
    if (this.pending !== undefined) {
      const p = this.pending;
      this.pending = undefined;
      return p;
    }
    if (this.ended) return undefined;
    for (;;) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return undefined;
      }
      if (r.value.length > 0) return r.value; // empty chunks carry nothing; skip them
    }
  }

  /** Looks ahead one source chunk (kept as pending) to learn whether the body has ended. */
  private async hasMore(): Promise<boolean> {
    if (this.pending !== undefined) return true;
    const chunk = await this.take();
    if (chunk === undefined) return false;
    this.pending = chunk;
    return true;
  }
}
