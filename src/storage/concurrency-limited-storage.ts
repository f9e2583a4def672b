import type { PutBody, PutOptions, Storage } from "./storage.js";
import { StorageDecorator } from "./storage-decorator.js";

/**
 * Bounds the writes in flight (`--upload-concurrency`), whoever issues them:
 * the pack writers, the index writer and anything added later share one
 * budget sized for the uplink rather than each bringing its own. Reads pass
 * straight through (restore bounds its own).
 */
export class ConcurrencyLimitedStorage extends StorageDecorator {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    inner: Storage,
    private readonly limit: number,
  ) {
    super(inner);
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new RangeError(`upload concurrency must be a positive integer, got ${limit}`);
  }

  override put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    return this.slot(() => this.inner.put(key, body, opts));
  }

  override putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    return this.slot(() => this.inner.putIfAbsent(key, body, opts));
  }

  override delete(key: string): Promise<void> {
    return this.slot(() => this.inner.delete(key));
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
