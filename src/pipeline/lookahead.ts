/**
 * Runs an async producer ahead of its consumer, in order, within a budget of
 * items and of weight (bytes the items hold), so the walk and small-file reads
 * overlap with the consumer's work while memory stays bounded.
 */
export class Lookahead<T> {
  private queue: { value: T; weight: number }[] = [];
  private head = 0;
  private weight = 0;
  private ended = false;
  private stopped = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly weigh: (item: T) => number,
    private readonly maxItems: number,
    private readonly maxWeight: number,
  ) {
    void this.pump();
  }

  /** The next item; throws what the producer threw, or at the end of the items. */
  async next(): Promise<T> {
    while (this.head >= this.queue.length) {
      if (this.failure) throw this.failure.error;
      if (this.ended) throw new Error("walk ended before its consumer expected");
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
    const { value, weight } = this.queue[this.head++];
    this.weight -= weight;
    if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.wake("producer");
    return value;
  }

  /** Stop producing (after an error or abort in the consumer). */
  stop(): void {
    this.stopped = true;
    this.wake("producer");
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stopped) {
        // An item heavier than the budget still goes through when the queue is empty.
        while (!this.stopped && this.queue.length - this.head > 0 && (this.queue.length - this.head >= this.maxItems || this.weight >= this.maxWeight)) {
          await new Promise<void>((r) => (this.wakeProducer = r));
        }
        if (this.stopped) break;
        const r = await this.source.next();
        if (r.done) break;
        const weight = this.weigh(r.value);
        this.queue.push({ value: r.value, weight });
        this.weight += weight;
        this.wake("consumer");
      }
      if (this.stopped) await this.source.return?.();
    } catch (e) {
      this.failure = { error: e };
    } finally {
      this.ended = true;
      this.wake("consumer");
    }
  }

  private wake(who: "consumer" | "producer"): void {
    const w = who === "consumer" ? this.wakeConsumer : this.wakeProducer;
    if (who === "consumer") this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    w?.();
  }
}
