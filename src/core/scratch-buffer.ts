/**
 * A grow-only buffer reused from one call to the next, for bytes that are
 * only needed until the next call (a read, a compression's output, a
 * verification's plaintext). Fresh memory costs a page fault per 4 KiB on
 * first touch (docs/PERFORMANCE.md §Backup CPU by thread, and page faults);
 * reused memory costs none. Not zero-filled: callers write before they read.
 */
export class ScratchBuffer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly minSize = 0) {}

  /** A buffer of at least `n` bytes (its contents are whatever the last user left). */
  atLeast(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafeSlow(Math.max(n, this.minSize));
    return this.buf;
  }
}
