import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage } from "../../src/storage/storage.js";

export interface RecordedOp {
  op: "put" | "putIfAbsent" | "get" | "getStream" | "head" | "list" | "delete";
  /** The key, or the prefix for list. */
  key: string;
  /** Bytes written (put) or read (get); set once known. */
  size?: number;
}

/** Records every call, in call order, for tests that assert on write order or traffic. */
export class RecordingStorage implements Storage {
  readonly name: string;
  readonly capabilities;
  readonly log: RecordedOp[] = [];

  constructor(private readonly inner: Storage) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    const entry = this.record("put", key);
    return this.inner.put(key, counted(body, entry), opts);
  }

  async putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    const entry = this.record("putIfAbsent", key);
    return this.inner.putIfAbsent(key, counted(body, entry), opts);
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const entry = this.record("get", key);
    const bytes = await this.inner.get(key, range, signal);
    entry.size = bytes.length;
    return bytes;
  }

  async getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    this.record("getStream", key);
    return this.inner.getStream(key, signal);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.record("head", key);
    return this.inner.head(key);
  }

  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    this.record("list", prefix);
    return this.inner.list(prefix, signal);
  }

  async delete(key: string): Promise<void> {
    this.record("delete", key);
    return this.inner.delete(key);
  }

  /** The recorded operations of one kind, e.g. `keys("put")`. */
  keys(op: RecordedOp["op"]): string[] {
    return this.log.filter((e) => e.op === op).map((e) => e.key);
  }

  private record(op: RecordedOp["op"], key: string): RecordedOp {
    const entry: RecordedOp = { op, key };
    this.log.push(entry);
    return entry;
  }
}

/** Wraps a body so the bytes actually sent are counted (a retried stream counts its last pass). */
function counted(body: PutBody, entry: RecordedOp): PutBody {
  if (body instanceof Uint8Array) {
    entry.size = body.length;
    return body;
  }
  return async function* () {
    entry.size = 0;
    for await (const chunk of body()) {
      entry.size += chunk.length;
      yield chunk;
    }
  };
}
