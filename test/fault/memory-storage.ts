import { NotFoundError } from "../../src/core/errors.js";
import { systemClock, type Clock } from "../../src/core/clock.js";
import type { ByteRange, ObjectInfo, PutBody, Storage, StorageCapabilities } from "../../src/storage/storage.js";
import { assertStorageKey } from "../../src/storage/storage-key.js";
import { bodyChunks } from "../../src/storage/put-body.js";

interface Entry {
  bytes: Uint8Array;
  mtime: Date;
}

/**
 * An in-memory Storage for unit tests. mtimes come from the injected clock,
 * standing in for the store's clock. Bytes are copied in and out so a caller
 * reusing its buffers cannot change what is "stored".
 */
export class MemoryStorage implements Storage {
  readonly name = "memory:";
  readonly capabilities: StorageCapabilities = { conditionalCreate: true, objectLock: false, atomicReplace: true };
  readonly objects = new Map<string, Entry>();

  constructor(private readonly clock: Clock = systemClock) {}

  async put(key: string, body: PutBody): Promise<void> {
    assertStorageKey(this.name, key);
    const bytes = await collect(body); // whole body first: a put is atomic
    this.objects.set(key, { bytes, mtime: this.clock.now() });
  }

  async putIfAbsent(key: string, body: PutBody): Promise<boolean> {
    assertStorageKey(this.name, key);
    const bytes = await collect(body);
    if (this.objects.has(key)) return false; // checked after the await: no interleaving in between
    this.objects.set(key, { bytes, mtime: this.clock.now() });
    return true;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const { bytes } = this.entry(key);
    if (!range) return bytes.slice();
    return bytes.slice(range.offset, range.offset + range.length);
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = this.entry(key).bytes.slice();
    return (async function* () {
      yield bytes;
    })();
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const e = this.objects.get(key);
    return e && { key, size: e.bytes.length, mtime: e.mtime };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const [key, e] of [...this.objects]) {
      if (key.startsWith(prefix)) yield { key, size: e.bytes.length, mtime: e.mtime };
    }
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  private entry(key: string): Entry {
    const e = this.objects.get(key);
    if (!e) throw new NotFoundError(this.name, key);
    return e;
  }
}

async function collect(body: PutBody): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of bodyChunks(body)) parts.push(chunk);
  // A plain Uint8Array (not a Buffer), so tests can compare with toEqual.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
