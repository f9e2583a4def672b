import { chmod, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { setImmediate as tick } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, StorageError } from "../../../src/core/errors.js";
import type { Clock } from "../../../src/core/clock.js";
import { LocalStorage } from "../../../src/storage/local/local-storage.js";
import { fsError } from "../../../src/storage/local/fs-error.js";

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-local-"));
  root = join(dir, "repo");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every file name under `d`, recursively. */
async function allNames(d: string): Promise<string[]> {
  const entries = await readdir(d, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe("LocalStorage temp files", () => {
  it("leaves no temp file after put and putIfAbsent", async () => {
    const s = new LocalStorage(root);
    await s.put("data/ab/one", randomBytes(100));
    await s.put("data/ab/two", async function* () {
      yield randomBytes(10);
      yield randomBytes(10);
    });
    await s.putIfAbsent("config", randomBytes(5));
    await s.putIfAbsent("config", randomBytes(5));
    expect((await allNames(root)).sort()).toEqual(["config", "one", "two"]);
  });

  it("removes the temp file when the body stream fails, and passes its error through", async () => {
    const s = new LocalStorage(root);
    const boom = new Error("source vanished");
    const body = async function* () {
      yield randomBytes(1000);
      throw boom;
    };
    await expect(s.put("data/ab/broken", body)).rejects.toBe(boom);
    expect(await allNames(root)).toEqual([]);
    expect(await s.head("data/ab/broken")).toBeUndefined();
  });

  it("cleans up orphaned temp files older than the limit, and never lists them", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const clock: Clock = { now: () => now, sleep: async () => {} };
    const s = new LocalStorage(root, { clock });
    await s.put("data/ab/kept", randomBytes(10));
    const old = join(root, "data/ab/.tmp-orphan");
    const fresh = join(root, "data/ab/.tmp-inflight");
    await writeFile(old, "partial");
    await writeFile(fresh, "partial");
    await utimes(old, new Date(now.getTime() - 2 * 3600_000), new Date(now.getTime() - 2 * 3600_000));
    await utimes(fresh, new Date(now.getTime() - 60_000), new Date(now.getTime() - 60_000));

    const listed = [];
    for await (const o of s.list("")) listed.push(o.key);
    expect(listed).toEqual(["data/ab/kept"]);

    expect(await s.cleanupTempFiles(3600_000)).toBe(1);
    expect((await allNames(root)).sort()).toEqual([".tmp-inflight", "kept"]);
  });
});

describe("LocalStorage atomicity", () => {
  it("never shows a reader a partial object while a streamed put is in flight", async () => {
    const s = new LocalStorage(root);
    const chunks = Array.from({ length: 64 }, () => randomBytes(64 * 1024));
    const full = Buffer.concat(chunks);
    let done = false;
    const writer = s
      .put("data/ab/big", async function* () {
        for (const c of chunks) {
          yield c;
          await tick(); // let readers run between writes
        }
      })
      .finally(() => (done = true));

    const seen = { missing: 0, whole: 0 };
    while (!done) {
      try {
        const got = await s.get("data/ab/big");
        expect(Buffer.from(got).equals(full)).toBe(true);
        seen.whole++;
      } catch (err) {
        expect(err).toBeInstanceOf(NotFoundError);
        seen.missing++;
      }
      for await (const o of s.list("data/")) expect(o.size).toBe(full.length);
    }
    await writer;
    expect(seen.missing).toBeGreaterThan(0); // the readers really overlapped the write
    expect(Buffer.from(await s.get("data/ab/big")).equals(full)).toBe(true);
  });
});

describe("LocalStorage errors", () => {
  it("rejects keys that could escape the root or collide with temp files", async () => {
    const s = new LocalStorage(root);
    for (const key of ["../x", "/abs", "a//b", "a/./b", "data/.tmp-x", "", "a b"]) {
      await expect(s.put(key, new Uint8Array(1)), key).rejects.toBeInstanceOf(StorageError);
    }
  });

  it("names the path and errno when a write fails (a key whose parent is a file)", async () => {
    const s = new LocalStorage(root);
    await s.put("data/file", new Uint8Array(1));
    const err = await s.put("data/file/child", new Uint8Array(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as StorageError).message).toContain(join(root, "data/file"));
    expect((err as StorageError).message).toMatch(/ENOTDIR|EEXIST/);
    expect((err as StorageError).retryable).toBe(false);
  });

  it("maps ENOSPC to a permanent StorageError with the path, the code and what to do", () => {
    // A full disk cannot be produced portably in a test; the mapping is what matters.
    const enospc = Object.assign(new Error("no space left on device, write"), { code: "ENOSPC", syscall: "write" });
    const err = fsError("local:/repo", "data/ab/x", "/repo/data/ab/.tmp-1", enospc);
    expect(err.message).toContain("/repo/data/ab/.tmp-1");
    expect(err.message).toContain("ENOSPC");
    expect(err.hint).toMatch(/free space/);
    expect(err.retryable).toBe(false);
    expect(err.cause).toBe(enospc);
  });

  it("maps ENOENT to NotFoundError only for reads", () => {
    const enoent = Object.assign(new Error("no such file"), { code: "ENOENT", syscall: "open" });
    expect(fsError("b", "k", "/p", enoent, true)).toBeInstanceOf(NotFoundError);
    expect(fsError("b", "k", "/p", enoent)).not.toBeInstanceOf(NotFoundError);
  });

  // We run the suite as root, where permission bits do not stop writes; as
  // another user this checks EACCES end to end.
  it.skipIf(process.getuid?.() === 0)("reports EACCES on a read-only directory", async () => {
    await mkdir(join(root, "data"), { recursive: true });
    await chmod(join(root, "data"), 0o555);
    const err = await new LocalStorage(root).put("data/x", new Uint8Array(1)).catch((e: unknown) => e);
    expect((err as StorageError).message).toContain("EACCES");
    expect((err as StorageError).hint).toMatch(/permissions/);
  });

  it("rejects an invalid byte range", async () => {
    const s = new LocalStorage(root);
    await s.put("data/r", new Uint8Array(10));
    await expect(s.get("data/r", { offset: -1, length: 2 })).rejects.toThrow(/invalid byte range/);
  });

  // Ranges up to 1 MiB are read with synchronous calls, larger ones through the thread pool: both give the same bytes.
  it("reads small and large ranges alike, short at the end of the object", async () => {
    const s = new LocalStorage(root);
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    await s.put("data/big", bytes);
    const cases: [number, number][] = [
      [0, 1024 * 1024],
      [1, 1024 * 1024 + 1],
      [1_500_000, 2 * 1024 * 1024],
      [bytes.length - 100, 1024 * 1024],
      [bytes.length - 100, 2 ** 40],
    ];
    for (const [offset, length] of cases) {
      const got = await s.get("data/big", { offset, length });
      expect(Buffer.from(got).equals(bytes.subarray(offset, offset + length))).toBe(true);
    }
    await expect(s.get("data/gone", { offset: 0, length: 10 })).rejects.toBeInstanceOf(NotFoundError);
  });
});
