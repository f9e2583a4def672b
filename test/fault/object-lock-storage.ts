import { ObjectLockedError } from "../../src/errors.js";
import type { Clock } from "../../src/clock.js";
import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "../../src/storage/storage.js";

/**
 * Object Lock in compliance mode, simulated (RELIABILITY "object lock"
 * wrapper): every object written is retained for `retentionMs` from its write
 * (store clock), and a delete before that throws ObjectLockedError naming the
 * date, as S3 refuses with AccessDenied. `extendRetention` moves the date
 * later, never earlier.
 */
export class ObjectLockStorage implements Storage {
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  readonly retainUntil = new Map<string, number>();
  refusedDeletes = 0;

  constructor(private readonly inner: Storage, private readonly clock: Clock, private readonly retentionMs: number) {
    this.name = inner.name;
    this.capabilities = { ...inner.capabilities, objectLock: true };
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    await this.inner.put(key, body, opts);
    this.lock(key);
  }

  async putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    const created = await this.inner.putIfAbsent(key, body, opts);
    if (created) this.lock(key);
    return created;
  }

  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    return this.inner.get(key, range, signal);
  }

  getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return this.inner.getStream(key, signal);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }

  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, signal);
  }

  async delete(key: string): Promise<void> {
    const until = this.retainUntil.get(key);
    if (until !== undefined && this.clock.now().getTime() < until) {
      this.refusedDeletes++;
      throw new ObjectLockedError(this.name, key, new Date(until));
    }
    await this.inner.delete(key);
    this.retainUntil.delete(key);
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    this.retainUntil.set(key, Math.max(this.retainUntil.get(key) ?? 0, until.getTime()));
  }

  private lock(key: string): void {
    // A config object is replaced in place by design; real buckets lock it too, but cairn never deletes it.
    this.retainUntil.set(key, Math.max(this.retainUntil.get(key) ?? 0, this.clock.now().getTime() + this.retentionMs));
  }
}
