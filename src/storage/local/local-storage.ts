import { link, open, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { AbortedError, CairnError } from "../../core/errors.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "../storage.js";
import { assertStorageKey, TEMP_PREFIX } from "../storage-key.js";
import { ensureDir, fsyncDir, writeTempFile } from "./durable-fs.js";
import { fsError, isErrno, isSystemError } from "./fs-error.js";
import { bodyChunks } from "../put-body.js";
import { readRange, readWhole } from "./read-range.js";
import { walkFiles } from "./walk-files.js";

export interface LocalStorageOptions {
  /** Host clock, used only to age orphaned temp files. */
  clock?: Clock;
}

/**
 * A repository in a local directory; each key is a file under `root`.
 * Writes are atomic and durable (src/storage/local/durable-fs.ts): temp file in
 * the same directory, write, fsync, rename (or link, for create-if-absent),
 * fsync the directory; orphaned temp files are removed later.
 */
export class LocalStorage implements Storage {
  readonly root: string;
  readonly name: string;
  // link(2) fails with EEXIST, so create-if-absent is enforced by the kernel.
  readonly capabilities: StorageCapabilities = { conditionalCreate: true, objectLock: false, atomicReplace: true };
  private readonly clock: Clock;

  constructor(root: string, opts: LocalStorageOptions = {}) {
    this.root = resolve(root);
    this.name = `local:${this.root}`;
    this.clock = opts.clock ?? systemClock;
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<void> {
    const path = this.pathOf(key);
    await this.guard(
      key,
      path,
      async () => {
        const tmp = await this.writeTemp(path, body, opts.signal);
        await rename(tmp, path).catch(async (err: unknown) => {
          await rm(tmp, { force: true });
          throw err;
        });
        await fsyncDir(dirname(path));
      },
      opts.signal,
    );
  }

  async putIfAbsent(key: string, body: PutBody, opts: PutOptions = {}): Promise<boolean> {
    const path = this.pathOf(key);
    return this.guard(
      key,
      path,
      async () => {
        if (await this.head(key)) return false; // skip writing a temp file we would throw away
        const tmp = await this.writeTemp(path, body, opts.signal);
        let created = true;
        try {
          await link(tmp, path); // atomic: the complete file appears under `path`, or EEXIST
        } catch (err) {
          if (!isErrno(err, "EEXIST")) throw err;
          created = false;
        } finally {
          await rm(tmp, { force: true });
        }
        await fsyncDir(dirname(path));
        return created;
      },
      opts.signal,
    );
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const path = this.pathOf(key);
    // A plain Uint8Array, like the cloud SDKs return, so callers see the same type whichever backend they use.
    const read = async () => {
      if (signal?.aborted) throw new AbortedError();
      return range ? readRange(path, range) : readWhole(path);
    };
    return this.guard(key, path, read, signal, true);
  }

  async getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const path = this.pathOf(key);
    // Open first so a missing object fails here with NotFoundError, not mid-iteration.
    const handle = await this.guard(key, path, () => open(path, "r"), signal, true);
    return this.streamFile(handle, key, path, signal);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    return this.guard(key, path, () => statObject(path, key), undefined, true);
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const cut = prefix.lastIndexOf("/") + 1;
    const dirKey = prefix.slice(0, Math.max(0, cut - 1));
    const namePrefix = prefix.slice(cut);
    const dir = dirKey === "" ? this.root : this.pathOf(dirKey);
    try {
      for await (const file of walkFiles(dir, dirKey, (name) => name.startsWith(namePrefix))) {
        if (signal?.aborted) throw new AbortedError("list aborted");
        if (file.name.startsWith(TEMP_PREFIX)) continue;
        const info = await statObject(file.path, file.rel);
        if (info) yield info; // undefined: deleted since readdir
      }
    } catch (err) {
      throw this.mapError(err, undefined, dir, signal);
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await this.guard(key, path, async () => {
      try {
        await unlink(path);
      } catch (err) {
        if (isErrno(err, "ENOENT")) return; // idempotent: already gone
        throw err;
      }
      await fsyncDir(dirname(path)); // a delete that un-happens after a crash would confuse prune
    });
  }

  /**
   * Removes `.tmp-` files older than `olderThanMs`: writes orphaned by a crash
   * (restic #3436). The age keeps it from racing a put still in progress.
   * Returns how many files were removed.
   */
  async cleanupTempFiles(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    let removed = 0;
    try {
      for await (const file of walkFiles(this.root)) {
        if (!file.name.startsWith(TEMP_PREFIX)) continue;
        const st = await stat(file.path).catch(() => undefined);
        if (!st || st.mtimeMs >= cutoff) continue;
        await rm(file.path, { force: true });
        removed++;
      }
    } catch (err) {
      throw this.mapError(err, undefined, this.root);
    }
    return removed;
  }

  private pathOf(key: string): string {
    assertStorageKey(this.name, key);
    return `${this.root}/${key}`;
  }

  private async writeTemp(path: string, body: PutBody, signal?: AbortSignal): Promise<string> {
    const dir = dirname(path);
    await ensureDir(dir);
    return writeTempFile(dir, bodyChunks(body), signal);
  }

  private async *streamFile(handle: Awaited<ReturnType<typeof open>>, key: string, path: string, signal?: AbortSignal) {
    try {
      // autoClose (the default) closes the handle when the stream ends or is destroyed.
      for await (const chunk of handle.createReadStream({ signal })) yield chunk as Uint8Array;
    } catch (err) {
      throw this.mapError(err, key, path, signal, true);
    }
  }

  private async guard<T>(
    key: string,
    path: string,
    fn: () => Promise<T>,
    signal?: AbortSignal,
    reading = false,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, key, path, signal, reading);
    }
  }

  private mapError(err: unknown, key: string | undefined, path: string, signal?: AbortSignal, reading = false): Error {
    if (signal?.aborted && !(err instanceof CairnError)) return new AbortedError();
    // Only system errors are the store's; anything else (a failing body stream,
    // a bug) passes through unchanged so it is not mistaken for a storage fault.
    if (!isSystemError(err)) return err as Error;
    return fsError(this.name, key, path, err, reading);
  }
}

async function statObject(path: string, key: string): Promise<ObjectInfo | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? { key, size: st.size, mtime: st.mtime } : undefined;
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return undefined;
    throw err;
  }
}
