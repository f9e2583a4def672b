import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage } from "../../src/storage/storage.js";

export type StorageOp = "put" | "putIfAbsent" | "get" | "getStream" | "head" | "list" | "delete";

/**
 * What to do with one call: nothing (undefined), throw the Error before the
 * call reaches the inner store, or damage what a read returns ("corrupt-read"
 * flips one bit; "short-read" drops the second half). Read faults are ignored
 * for operations that return no bytes.
 */
export type Fault = undefined | Error | "corrupt-read" | "short-read";

/** `callIndex` counts every call to this wrapper, 0-based, across all operations. */
export type FaultPlan = (op: StorageOp, key: string, callIndex: number) => Fault;

/** A Storage decorator that injects faults from a per-call plan. */
export class FaultyStorage implements Storage {
  readonly name: string;
  readonly capabilities;
  calls = 0;

  constructor(
    private readonly inner: Storage,
    private readonly plan: FaultPlan,
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    this.fault("put", key);
    return this.inner.put(key, body, opts);
  }

  async putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    this.fault("putIfAbsent", key);
    return this.inner.putIfAbsent(key, body, opts);
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const fault = this.fault("get", key);
    return damage(await this.inner.get(key, range, signal), fault);
  }

  async getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const fault = this.fault("getStream", key);
    const stream = await this.inner.getStream(key, signal);
    if (fault === undefined) return stream;
    return (async function* () {
      const parts: Uint8Array[] = [];
      for await (const chunk of stream) parts.push(chunk);
      yield damage(Buffer.concat(parts), fault);
    })();
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.fault("head", key);
    return this.inner.head(key);
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    this.fault("list", prefix);
    yield* this.inner.list(prefix, signal);
  }

  async delete(key: string): Promise<void> {
    this.fault("delete", key);
    return this.inner.delete(key);
  }

  /** Throws an Error fault; returns a read fault for the caller to apply. */
  private fault(op: StorageOp, key: string): "corrupt-read" | "short-read" | undefined {
    const fault = this.plan(op, key, this.calls++);
    if (fault instanceof Error) throw fault;
    return fault;
  }
}

function damage(bytes: Uint8Array, fault: "corrupt-read" | "short-read" | undefined): Uint8Array {
  if (fault === "short-read") return bytes.slice(0, Math.floor(bytes.length / 2));
  if (fault === "corrupt-read" && bytes.length > 0) {
    const copy = bytes.slice();
    copy[Math.floor(copy.length / 2)] ^= 0x01;
    return copy;
  }
  return bytes;
}
