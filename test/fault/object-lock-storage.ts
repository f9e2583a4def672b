import { ObjectLockedError } from "../../src/core/errors.js";
import type { Clock } from "../../src/core/clock.js";
import type { PutBody, PutOptions, Storage, StorageCapabilities } from "../../src/storage/storage.js";
import { StorageDecorator } from "../../src/storage/storage-decorator.js";

/**
 * Object Lock in compliance mode, simulated (an object-lock wrapper, docs/RELIABILITY.md
 * wrapper): every object written is retained for `retentionMs` from its write
 * (store clock), and a delete before that throws ObjectLockedError naming the
 * date, as S3 refuses with AccessDenied. `extendRetention` moves the date
 * later, never earlier.
 */
export class ObjectLockStorage extends StorageDecorator {
  override readonly capabilities: StorageCapabilities;
  readonly retainUntil = new Map<string, number>();
  refusedDeletes = 0;

  constructor(
    inner: Storage,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {
    super(inner);
    this.capabilities = { ...inner.capabilities, objectLock: true };
  }

  override async put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    await this.inner.put(key, body, opts);
    this.lock(key);
  }

  override async putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    const created = await this.inner.putIfAbsent(key, body, opts);
    if (created) this.lock(key);
    return created;
  }

  override async delete(key: string): Promise<void> {
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
