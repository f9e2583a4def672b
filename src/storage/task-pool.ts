/**
 * Runs tasks with at most `limit` in flight. `add` waits while the pool is
 * full, which is the back-pressure that keeps a multipart upload from reading
 * the whole object ahead of the network. The first failure is re-thrown by
 * the next `add` or by `drain`, and no new task starts after it.
 */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`task pool limit must be >= 1, got ${limit}`);
  }

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit && !this.failure) await Promise.race(this.running);
    this.throwIfFailed();
    const p: Promise<void> = task().then(
      () => void this.running.delete(p),
      (error: unknown) => {
        this.running.delete(p);
        this.failure ??= { error };
      },
    );
    this.running.add(p);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
