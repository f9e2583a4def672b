/**
 * A bounded queue between a producer that runs ahead (the walk) and its
 * consumer (the tree builder), in order, within a budget of items and of
 * weight (bytes the items hold), so the walk and small-file reads overlap with
 * the consumer's work while memory stays bounded. The producer pushes; a push
 * returns a promise only when the budget is full, so a producer that is
 * ahead costs no await per item.
 */
export class Lookahead<T> {
  private queue: { value: T; weight: number }[] = [];
  private head = 0;
  private weight = 0;
  private ended = false;
  private halted = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(
    private readonly weigh: (item: T) => number,
    private readonly maxItems: number,
    private readonly maxWeight: number,
  ) {}

  /** Start `produce` feeding this queue; its end or failure ends the queue. */
  static run<T>(
    produce: (out: Lookahead<T>) => Promise<void>,
    weigh: (item: T) => number,
    maxItems: number,
    maxWeight: number,
  ): Lookahead<T> {
    const la = new Lookahead(weigh, maxItems, maxWeight);
    produce(la).then(
      () => la.end(),
      (e: unknown) => la.fail(e),
    );
    return la;
  }

  /** True once the consumer has stopped: the producer should return. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Queue an item; a promise to await when the budget is full (an item heavier than the budget still goes through alone). */
  push(value: T): Promise<void> | undefined {
    if (this.halted) return undefined;
    const weight = this.weigh(value);
    this.queue.push({ value, weight });
    this.weight += weight;
    this.wake("consumer");
    if (this.queue.length - this.head >= this.maxItems || this.weight >= this.maxWeight) {
      return new Promise<void>((r) => (this.wakeProducer = r));
    }
    return undefined;
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
    if (this.queue.length - this.head < this.maxItems && this.weight < this.maxWeight) this.wake("producer");
    return value;
  }

  /** Stop producing (after an error or abort in the consumer). */
  stop(): void {
    this.halted = true;
    this.wake("producer");
  }

  private end(): void {
    this.ended = true;
    this.wake("consumer");
  }

  private fail(error: unknown): void {
    this.failure = { error };
    this.end();
  }

  private wake(who: "consumer" | "producer"): void {
    const w = who === "consumer" ? this.wakeConsumer : this.wakeProducer;
    if (who === "consumer") this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    w?.();
  }
}
