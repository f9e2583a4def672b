import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage } from "../../src/storage/storage.js";

/** Thrown by CrashingStorage once the simulated process has died. */
export class SimulatedCrash extends Error {
  constructor(readonly atMutation: number) {
    super(`simulated crash at mutation ${atMutation}`);
    this.name = "SimulatedCrash";
  }
}

/**
 * Dies like a killed process on the k-th mutation (put, putIfAbsent, delete;
 * 1-based): that mutation never reaches storage, and every call after it
 * throws SimulatedCrash. A crash-point sweep runs once with k = Infinity to
 * learn `mutations`, then once for each k in 1..mutations (docs/RELIABILITY.md S3).
 */
export class CrashingStorage implements Storage {
  readonly name: string;
  readonly capabilities;
  /** Mutations that reached the inner storage. */
  mutations = 0;
  crashed = false;

  constructor(
    private readonly inner: Storage,
    private readonly k: number,
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }

  put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    return this.mutate(() => this.inner.put(key, body, opts));
  }

  putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    return this.mutate(() => this.inner.putIfAbsent(key, body, opts));
  }

  delete(key: string): Promise<void> {
    return this.mutate(() => this.inner.delete(key));
  }

  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    return this.read(() => this.inner.get(key, range, signal));
  }

  getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return this.read(async () => this.alive(await this.inner.getStream(key, signal)));
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.read(() => this.inner.head(key));
  }

  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    this.check();
    return this.alive(this.inner.list(prefix, signal));
  }

  private async mutate<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    if (this.mutations + 1 >= this.k) {
      this.crashed = true;
      throw new SimulatedCrash(this.k);
    }
    this.mutations++;
    return this.read(fn);
  }

  /** A call in flight when the crash happens may still land, but its caller is dead: it throws. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    const result = await fn();
    this.check();
    return result;
  }

  private async *alive<T>(items: AsyncIterable<T>): AsyncIterable<T> {
    for await (const item of items) {
      this.check();
      yield item;
    }
  }

  private check(): void {
    if (this.crashed) throw new SimulatedCrash(this.k);
  }
}
