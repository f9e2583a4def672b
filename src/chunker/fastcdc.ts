import { CairnError } from "../core/errors.js";

/** Chunk size bounds in bytes. `avg` is the target mean; it must be a power of two. */
export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
  /**
   * FastCDC normalization level (0-3); absent means 2, what repositories
   * made before the field existed use (their boundaries must not move).
   */
  normalization?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * 1 MiB mean chunks (restic uses the same order of magnitude): small enough to
 * dedup edits inside large files, large enough that per-chunk index entries and
 * keyed hashes stay cheap. min = avg/2 and max = 8 * avg keep sizes tight.
 */
export const DEFAULT_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  min: 512 * KiB,
  avg: 1 * MiB,
  max: 8 * MiB,
  normalization: 1,
});

/**
 * Normalization level n (FastCDC 2016, section 3.5): the mask below `avg` has
 * n more bits than log2(avg) (cuts 2^n times less likely), the one above n
 * fewer, which pulls chunk sizes towards `avg`. New repositories use level 1:
 * at level 2 a cut depends so much on the distance from the previous cut that
 * a copy of a region at an unaligned offset takes longer to fall into step
 * with the original, and so deduplicates less (simulated over several keys:
 * docs/PERFORMANCE.md §Repository size). Level 1 still keeps most chunks
 * near `avg`.
 */
const LEGACY_NORMALIZATION = 2;
/** The fingerprint only "sees" ~32 bytes, so a smaller min makes no sense. */
const MIN_MIN = 64;
/** Masks need log2(avg) + normalization <= 32 bits; 256 MiB is already far beyond any use. */
const MAX_AVG_BITS = 28;
/** A chunk is held whole in memory at several pipeline stages. */
const MAX_MAX = 256 * MiB;

/** Throws a CairnError naming the first violated rule. */
export function validateChunkerParams(p: ChunkerParams): void {
  const fail = (why: string): never => {
    throw new CairnError("E_CHUNKER_PARAMS", `invalid chunker params ${JSON.stringify(p)}: ${why}`, 2, {
      hint: `use the defaults ${JSON.stringify(DEFAULT_CHUNKER_PARAMS)} unless you have measured a reason not to`,
    });
  };
  if (![p.min, p.avg, p.max].every(Number.isSafeInteger)) fail("min, avg and max must be integers");
  if ((p.avg & (p.avg - 1)) !== 0 || p.avg <= 0) fail("avg must be a power of two");
  if (!(p.min < p.avg && p.avg < p.max)) fail("need min < avg < max");
  if (p.min < MIN_MIN) fail(`min must be at least ${MIN_MIN} bytes`);
  if (Math.log2(p.avg) > MAX_AVG_BITS) fail(`avg must be at most ${2 ** MAX_AVG_BITS} bytes`);
  if (
    p.normalization !== undefined &&
    !(Number.isInteger(p.normalization) && p.normalization >= 0 && p.normalization <= 3)
  )
    fail("normalization must be 0, 1, 2 or 3");
  if (Math.log2(p.avg) <= (p.normalization ?? LEGACY_NORMALIZATION))
    fail("avg is too small for the normalization level");
  if (p.max > MAX_MAX) fail(`max must be at most ${MAX_MAX} bytes`);
}

/**
 * Mask of `bits` ones in the HIGH end of the 32-bit fingerprint. With
 * `fp = (fp << 1) + gear[b]`, bit k depends on the last k + 1 bytes only, so
 * high bits give the widest window (up to 32 bytes) and hence the most
 * content-sensitive boundaries (FastCDC 2020, "rolling two bytes" aside).
 */
function highMask(bits: number): number {
  return (0xffffffff << (32 - bits)) | 0;
}

/**
 * Streaming FastCDC boundary finder (Xia et al. 2016/2020, normalized chunking).
 *
 * Feed buffers in order; `next` returns each cut offset. State carries across
 * calls so a chunk may span buffers; after a cut it restarts for the next chunk.
 * Boundaries depend only on the bytes, never on how they are split into buffers.
 *
 * @example
 * const cdc = new FastCdc(gearTable(key), DEFAULT_CHUNKER_PARAMS);
 * for (let pos = 0, cut; (cut = cdc.next(buf, pos)) >= 0; pos = cut) emit(buf.subarray(pos, cut));
 */
/** Zero-run detection granularity: large enough that memcmp dominates, small enough to start skipping soon. */
const ZERO_BLOCK = Buffer.alloc(4096);

function isZero(buf: Uint8Array, start: number, end: number): boolean {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).equals(ZERO_BLOCK.subarray(0, end - start));
}

export class FastCdc {
  /** Int32 view: keeps the hot-loop addition in int32 (Uint32 values >= 2^31 would be doubles). */
  private readonly gear: Int32Array;
  private readonly min: number;
  private readonly avg: number;
  private readonly max: number;
  private readonly maskBelowAvg: number;
  private readonly maskAboveAvg: number;
  /**
   * The fingerprint every run of 32+ zero bytes settles on: fp_n = g0 * (2^n - 1)
   * mod 2^32, which is -g0 for n >= 32. While fp equals it, a zero byte keeps it
   * there, so a long zero run (sparse files, zeroed disk images) can be skipped
   * a block at a time with memcmp when it cannot produce a cut.
   */
  private readonly zeroFp: number;
  private readonly zeroSkipBelow: boolean;
  private readonly zeroSkipAbove: boolean;
  /** Bytes of the current chunk seen so far. */
  private len = 0;
  /** Rolling gear fingerprint of the current chunk. */
  private fp = 0;

  constructor(gear: Uint32Array, params: ChunkerParams) {
    if (gear.length !== 256)
      throw new CairnError("E_CHUNKER_KEY", `gear table must have 256 entries, got ${gear.length}`);
    validateChunkerParams(params);
    this.gear = new Int32Array(gear.buffer, gear.byteOffset, 256);
    ({ min: this.min, avg: this.avg, max: this.max } = params);
    const bits = Math.log2(params.avg);
    const level = params.normalization ?? LEGACY_NORMALIZATION;
    this.maskBelowAvg = highMask(bits + level);
    this.maskAboveAvg = highMask(bits - level);
    this.zeroFp = -this.gear[0] | 0;
    this.zeroSkipBelow = (this.zeroFp & this.maskBelowAvg) !== 0;
    this.zeroSkipAbove = (this.zeroFp & this.maskAboveAvg) !== 0;
  }

  /**
   * Scan `buf` from `start`; return the cut offset in buf (exclusive) if a
   * boundary is found, else -1 (all of buf[start..] belongs to the current
   * chunk; pass the next buffer). Call again from the returned offset.
   */
  next(buf: Uint8Array, start: number): number {
    if (!(start >= 0 && start <= buf.length)) throw new RangeError(`start ${start} outside buffer of ${buf.length}`);
    let i = start;
    if (this.len < this.min) {
      // No cut can fall before min: skip those bytes without hashing them.
      const skip = Math.min(this.min - this.len, buf.length - i);
      this.len += skip;
      i += skip;
      if (this.len < this.min) return -1;
    }
    if (this.len < this.avg) {
      const end = Math.min(buf.length, i + (this.avg - this.len));
      const cut = this.scan(buf, i, end, this.maskBelowAvg);
      if (cut >= 0 || this.len < this.avg) return cut;
      i = end;
    }
    const end = Math.min(buf.length, i + (this.max - this.len));
    const cut = this.scan(buf, i, end, this.maskAboveAvg);
    if (cut >= 0 || this.len < this.max) return cut;
    this.reset(); // forced cut at max
    return end;
  }

  /** Forget any partial chunk (start of a new file or stream). */
  reset(): void {
    this.len = 0;
    this.fp = 0;
  }

  /** Returns the cut offset and resets, or -1 after adding buf[i..end) to the chunk. Works a block at a time. */
  private scan(buf: Uint8Array, i: number, end: number, mask: number): number {
    const canSkipZeros = mask === this.maskBelowAvg ? this.zeroSkipBelow : this.zeroSkipAbove;
    const from = i;
    while (i < end) {
      const blockEnd = Math.min(end, i + ZERO_BLOCK.length);
      if (canSkipZeros && this.fp === this.zeroFp && isZero(buf, i, blockEnd)) {
        i = blockEnd; // fp stays zeroFp and no cut is possible
        continue;
      }
      const cut = this.scanBytes(buf, i, blockEnd, mask);
      if (cut >= 0) return cut;
      i = blockEnd;
    }
    this.len += end - from;
    return -1;
  }

  /** The hot loop: one gear step per byte. Resets and returns the cut, or -1 with fp updated. */
  private scanBytes(buf: Uint8Array, i: number, end: number, mask: number): number {
    const gear = this.gear;
    let fp = this.fp;
    while (i < end) {
      fp = ((fp << 1) + gear[buf[i++]]) | 0;
      if ((fp & mask) === 0) {
        this.reset();
        return i;
      }
    }
    this.fp = fp;
    return -1;
  }
}
