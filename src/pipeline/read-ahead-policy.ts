/**
 * When to warm the page cache ahead of the codec workers (read-ahead.ts):
 * only while this process reads from the disk, i.e. at least one 512-byte
 * block per file it has been given to read since the last look. On a warm
 * cache reading a file a second time costs CPU and gains nothing. Read
 * latency was no signal: on a busy machine a cached read waited as long for
 * a thread as a disk read did.
 */
export class ReadAheadPolicy {
  private files = 0;
  private blocksAtCheck: number;
  private cold = false;

  constructor(
    /** Blocks the process has read from storage so far: `process.resourceUsage().fsRead`. */
    private readonly blocksRead: () => number,
    /** Files between two looks at the block counter. */
    private readonly checkEvery = 64,
  ) {
    this.blocksAtCheck = blocksRead();
  }

  /** `n` more files are about to be read; whether to warm them. */
  wants(n: number): boolean {
    this.files += n;
    if (this.files >= this.checkEvery) {
      const blocks = this.blocksRead();
      this.cold = blocks - this.blocksAtCheck >= this.files;
      this.blocksAtCheck = blocks;
      this.files = 0;
    }
    return this.cold;
  }
}
