/**
 * Starts up to `window` tasks ahead of the consumer, in order, so small-file
 * reads overlap while results are still consumed in walk order. Memory is
 * bounded by `window` results.
 */
export class ReadAhead<T> {
  private readonly started = new Map<number, Promise<T>>();
  private next = 0;

  constructor(
    private readonly count: number,
    private readonly window: number,
    private readonly task: (i: number) => Promise<T> | undefined,
  ) {}

  /** The result for item `i` (undefined when the task declined it); must be called with increasing `i`. */
  async take(i: number): Promise<T | undefined> {
    while (this.next < this.count && this.next <= i + this.window) this.launch(this.next++);
    const p = this.started.get(i);
    this.started.delete(i);
    return p;
  }

  private launch(i: number): void {
    const p = this.task(i);
    if (!p) return;
    p.catch(() => undefined); // observed later by take(); avoid unhandled rejections meanwhile
    this.started.set(i, p);
  }
}
