import type { FileHandle } from "node:fs/promises";

/** Reads happen in blocks this size; a record larger than it grows the buffer to fit. */
const BLOCK = 64 * 1024;

/**
 * A forward-only buffered reader over a file handle. Memory is one block, or
 * the largest record asked for with `fill` (the caller bounds that before asking).
 */
export class SequentialInput {
  private buf = Buffer.allocUnsafe(BLOCK);
  private start = 0;
  private end = 0;
  private position = 0;
  private eof = false;

  constructor(private readonly fh: FileHandle) {}

  /** Buffers at least n bytes; false when the file ends first (what there is stays readable). */
  async fill(n: number): Promise<boolean> {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      this.makeRoom(n);
      const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.position);
      if (bytesRead === 0) this.eof = true;
      this.end += bytesRead;
      this.position += bytesRead;
    }
    return true;
  }

  /** The buffered bytes; valid until the next fill. */
  peek(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Consumes n buffered bytes and returns them; valid until the next fill. */
  take(n: number): Buffer {
    const b = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return b;
  }

  /** Ensures `n` bytes fit from `start`, moving the unread bytes to the front (and growing) if needed. */
  private makeRoom(n: number): void {
    const want = Math.max(n, BLOCK);
    if (this.buf.length - this.start >= want) return;
    const unread = this.end - this.start;
    if (this.buf.length >= want) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const bigger = Buffer.allocUnsafe(want);
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    }
    this.start = 0;
    this.end = unread;
  }
}
