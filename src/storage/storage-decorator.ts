import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "./storage.js";

/**
 * Forwards every call to `inner`. A decorator with one job (limits, metrics)
 * extends this and overrides only the calls it changes.
 */
export class StorageDecorator implements Storage {
  readonly name: string;
  readonly capabilities: StorageCapabilities;

  constructor(protected readonly inner: Storage) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }

  put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    return this.inner.put(key, body, opts);
  }

  putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, body, opts);
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

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
