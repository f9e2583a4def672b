import type { Clock } from "../core/clock.js";

/**
 * A token bucket that lends: `take(n)` always grants, but a caller that
 * overdraws sleeps until the rate has paid the debt back. Concurrent callers
 * queue behind each other's debt without a lock, because each one sees the
 * balance its predecessors already drew down.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `rate` in units per second; `burst` is what may go out at once after a quiet spell. */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(rate > 0) || !(burst > 0))
      throw new RangeError(`token bucket needs a positive rate and burst (got ${rate}, ${burst})`);
    this.tokens = burst;
    this.last = clock.now().getTime();
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now().getTime();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= n;
    if (this.tokens < 0) await this.clock.sleep(Math.ceil((-this.tokens / this.rate) * 1000), signal);
  }
}
