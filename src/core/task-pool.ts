/**
 * Runs tasks with at most `limit` in flight. `add` waits while the pool is
 * full, which is the back-pressure that keeps a multipart upload from reading
 * the whole object ahead of the network (and a restore from holding more
 * files than its writers can take). The first failure is re-thrown by the
 * next `add` or by `drain`, and no new task starts after it.
 */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();
  /** Callers of `add` waiting for a free slot, woken one per finished task. */
  private readonly waiters: (() => void)[] = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`task pool limit must be >= 1, got ${limit}`);
  }

  /** Tasks running now. */
  get size(): number {
    return this.running.size;
  }

  /** Callers of `add` waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  async add(task: () => Promise<void>): Promise<void> {
    // A queue of waiters, not Promise.race over the running tasks: each race added a reaction to every
    // running task, and a long task collected one per task added while it ran (thousands, in a restore).
    while (this.running.size >= this.limit && !this.failure)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.throwIfFailed();
    const p: Promise<void> = task().then(
      () => this.settle(p),
      (error: unknown) => {
        this.failure ??= { error };
        this.settle(p);
      },
    );
    this.running.add(p);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    this.throwIfFailed();
  }

  private settle(p: Promise<void>): void {
    this.running.delete(p);
    this.waiters.shift()?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
