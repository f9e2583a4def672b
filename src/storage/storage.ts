/**
 * The storage seam. Backends (local directory, S3, Azure) implement this small
 * interface; retry, limits, metrics and test faults are decorators over it.
 *
 * Contract (every backend, checked by test/contract):
 * - Keys are `/`-separated relative paths of [A-Za-z0-9._-] components
 *   (e.g. `data/ab/ab12...`). Backends never see user file names.
 * - `put` is atomic: a reader sees either no object or the whole object, never
 *   a prefix. On return the object is durable. Objects are written once; a
 *   second put of the same key with the same bytes is harmless (idempotent),
 *   so a retried put is safe.
 * - `putIfAbsent` creates only if missing and returns false when the key was
 *   already present. Backends without server-side conditional create
 *   (`capabilities.conditionalCreate === false`) emulate it with head+put,
 *   which is racy; correctness of cairn never depends on it.
 * - `get` with a range returns exactly the requested bytes, or fewer only when
 *   the range runs past the end of the object (a short read). A missing key
 *   throws NotFoundError.
 * - `list(prefix)` yields every key under the prefix with its size and the
 *   store's modification time, in no particular order, across all pages.
 * - `delete` of a missing key succeeds (idempotent).
 * - Errors are StorageError; `retryable` is true only for transient faults
 *   (throttling, 5xx, resets). Permanent ones (403, missing bucket) fail fast.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Modification time as the store records it (not the host clock). */
  mtime: Date;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface StorageCapabilities {
  /** The backend enforces create-if-absent on the server. */
  conditionalCreate: boolean;
  /** Objects can be locked against deletion for a retention period. */
  objectLock: boolean;
  /** Overwriting a key replaces it atomically. */
  atomicReplace: boolean;
}

export type PutBody = Uint8Array | (() => AsyncIterable<Uint8Array>);

export interface PutOptions {
  /** Size of the body when it is a stream factory (needed by some backends). */
  size?: number;
  signal?: AbortSignal;
}

export interface Storage {
  /** Human-readable location, e.g. `local:/srv/repo`, used in messages. */
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  put(key: string, body: PutBody, opts?: PutOptions): Promise<void>;
  putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean>;
  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array>;
  /** Streaming read of a whole object (for large packs). */
  getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  /** Release connections/handles. */
  close?(): Promise<void>;
}
