import { systemClock, type Clock } from "../core/clock.js";
import type { PutBody, PutOptions, Storage } from "./storage.js";
import { StorageDecorator } from "./storage-decorator.js";
import { bodyChunks } from "./put-body.js";
import { TokenBucket } from "./token-bucket.js";

// Pieces small enough that pacing is smooth at 1 MiB/s, large enough that the
// per-piece bookkeeping costs nothing next to the network.
const PIECE = 256 * 1024;

/**
 * Limits upload bandwidth (`--limit-upload`): put bodies are released to the
 * backend at most `bytesPerSecond` on average, shared by all concurrent puts.
 * The backend may buffer a part before sending it, so on the wire the rate
 * holds over seconds, not milliseconds. Reads are not limited.
 */
export class BandwidthLimitedStorage extends StorageDecorator {
  private readonly bucket: TokenBucket;

  constructor(inner: Storage, bytesPerSecond: number, clock: Clock = systemClock) {
    super(inner);
    // One second of burst: a quiet spell never lets more than a second's worth out at once.
    this.bucket = new TokenBucket(bytesPerSecond, Math.max(bytesPerSecond, PIECE), clock);
  }

  override put(key: string, body: PutBody, opts: PutOptions = {}): Promise<void> {
    return this.inner.put(key, this.paced(body, opts.signal), withSize(body, opts));
  }

  override putIfAbsent(key: string, body: PutBody, opts: PutOptions = {}): Promise<boolean> {
    return this.inner.putIfAbsent(key, this.paced(body, opts.signal), withSize(body, opts));
  }

  /** A stream factory (so a retry re-reads and pays again) yielding pieces as tokens allow. */
  private paced(body: PutBody, signal?: AbortSignal): PutBody {
    const bucket = this.bucket;
    return async function* () {
      for await (const chunk of bodyChunks(body)) {
        for (let at = 0; at < chunk.length; at += PIECE) {
          const piece = chunk.subarray(at, at + PIECE);
          await bucket.take(piece.length, signal);
          yield piece;
        }
      }
    };
  }
}

function withSize(body: PutBody, opts: PutOptions): PutOptions {
  return body instanceof Uint8Array ? { ...opts, size: body.length } : opts;
}
