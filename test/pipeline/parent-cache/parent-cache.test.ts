import type { BlobId } from "../../../src/core/ids.js";
import { mulberry32, numericTestSeed } from "../../helpers/prng.js";
import { mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ParentCacheReader,
  ParentCacheWriter,
  pathKey,
  pruneOldCaches,
  type CachedFile,
} from "../../../src/pipeline/parent-cache/parent-cache.js";
import { crc32, jsCrc32 } from "../../../src/pipeline/parent-cache/parent-cache-format.js";

const GEN = "gen-3";
const SNAP = "5a".repeat(32);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-parent-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The record for file number i: derived from i so expectations need no storage. */
function fileFor(i: number): CachedFile {
  const content: BlobId[] = [];
  for (let c = 0; c < i % 4; c++) content.push(((i * 4 + c) >>> 0).toString(16).padStart(64, "0") as BlobId);
  return {
    size: i * 1000,
    mtimeNs: 1_700_000_000_000_000_000n + BigInt(i),
    ctimeNs: -BigInt(i), // times before 1970 must survive too
    ino: i + 0.5 === i ? 0 : 1_000_000 + i,
    dev: 2049,
    content,
  };
}

/** n distinct path keys in walk order: /d<a>/d<b>/f<c>, with a few non-UTF-8 names. */
function walkKeys(n: number): Buffer[] {
  const keys: Buffer[] = [];
  for (let i = 0; keys.length < n; i++) {
    const name = i % 97 === 0 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`f${i}`)]) : Buffer.from(`f${i}`);
    keys.push(pathKey([Buffer.from(`d${i % 50}`), Buffer.from(`e${i % 7}`), name]));
  }
  return keys.sort(Buffer.compare);
}

async function writeCache(keys: Buffer[], fileOf: (i: number) => CachedFile = fileFor, snap = SNAP): Promise<string> {
  const w = await ParentCacheWriter.create(dir, "job/one", { generation: GEN });
  for (let i = 0; i < keys.length; i++) await w.add(keys[i], fileOf(i));
  await w.commit(snap);
  return join(dir, `files-${snap}`);
}

/** Field-by-field equality: expect().toEqual per record would dominate a 200k-record test. */
function sameFile(a: CachedFile, b: CachedFile): boolean {
  return (
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.content.length === b.content.length &&
    a.content.every((id, i) => id === b.content[i])
  );
}

/** Looks up every key in order; returns how many records came back, asserting each equals fileFor(i). */
async function readAll(reader: ParentCacheReader, keys: Buffer[]): Promise<number> {
  let found = 0;
  for (let i = 0; i < keys.length; i++) {
    const got = await reader.lookup(keys[i]);
    if (got === undefined) continue;
    if (!sameFile(got, fileFor(i))) expect(got).toEqual(fileFor(i));
    found++;
  }
  return found;
}

describe("pathKey", () => {
  it("orders like a depth-first walk with children sorted by name bytes", () => {
    const k = (...c: string[]) => pathKey(c.map((s) => Buffer.from(s, "latin1")));
    // "a" then everything under a/, then "a.x": NUL sorts below '.'
    const walk = [k("a"), k("a", "b"), k("a", "b", "z"), k("a", "c"), k("a.x"), k("a\xff"), k("b")];
    expect([...walk].reverse().sort(Buffer.compare)).toEqual(walk);
    expect(() => pathKey([Buffer.from("a\0b")])).toThrow(TypeError);
  });
});

describe("ParentCache", () => {
  it("round-trips 200k records through a merge-join with missing and extra keys", async () => {
    const next = mulberry32(numericTestSeed("parent-cache 200k"));
    const all = walkKeys(240_000);
    // Every 6th key is not written (a new file); every one is queried.
    const written = all.filter((_, i) => i % 6 !== 5);
    expect(written.length).toBe(200_000);
    const writtenIndex = new Map(written.map((k, i) => [k.toString("hex"), i]));

    const t0 = performance.now();
    await writeCache(written);
    const t1 = performance.now();
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    expect(reader).toBeDefined();
    expect(reader.tag).toBe("job/one");
    let found = 0;
    let wrong = 0;
    for (const key of all) {
      if (next() % 10 === 0) continue; // some written keys are never asked for (deleted files)
      const got = await reader.lookup(key);
      const i = writtenIndex.get(key.toString("hex"));
      if (i === undefined) wrong += got === undefined ? 0 : 1;
      else if (got !== undefined && sameFile(got, fileFor(i))) found++;
      else wrong++;
    }
    expect(wrong).toBe(0);
    const t2 = performance.now();
    console.log(`200k records: write ${(t1 - t0).toFixed(0)} ms, merge-join ${(t2 - t1).toFixed(0)} ms, ${found} hits`);
    expect(found).toBeGreaterThan(170_000);
    // After the last key the reader has met the end record: a clean end is not damage.
    expect(await reader.lookup(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(reader.damaged).toBe(false);
    await reader.close();
  });

  it("keeps non-UTF-8 name bytes exactly", async () => {
    const keys = [
      pathKey([Buffer.from([0x80]), Buffer.from([0xc3, 0x28])]),
      pathKey([Buffer.from([0xc3, 0x28])]),
      pathKey([Buffer.from([0xff, 0xfe, 0x0a])]),
    ];
    await writeCache(keys);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    // A key that differs only in invalid bytes must not match.
    expect(await reader.lookup(pathKey([Buffer.from([0x80]), Buffer.from([0xc3, 0x27])]))).toBeUndefined();
    expect(await readAll(reader, keys)).toBe(3);
    await reader.close();
  });

  it("throws when keys are added out of order or repeated", async () => {
    const w = await ParentCacheWriter.create(dir, "t", { generation: GEN });
    await w.add(pathKey([Buffer.from("b")]), fileFor(1));
    await expect(w.add(pathKey([Buffer.from("a")]), fileFor(2))).rejects.toThrow(RangeError);
    await expect(w.add(pathKey([Buffer.from("b")]), fileFor(2))).rejects.toThrow(RangeError);
    await expect(w.add(pathKey([Buffer.from("c")]), { ...fileFor(1), content: ["xyz" as BlobId] })).rejects.toThrow(
      TypeError,
    );
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("throws when lookups go backwards (a walker bug)", async () => {
    const keys = walkKeys(10);
    await writeCache(keys);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    await reader.lookup(keys[5]);
    await expect(reader.lookup(keys[2])).rejects.toThrow(RangeError);
    await reader.close();
  });

  it("returns undefined for another generation, a missing file or a foreign header", async () => {
    await writeCache(walkKeys(10));
    expect(await ParentCacheReader.open(dir, SNAP, "gen-4")).toBeUndefined();
    expect(await ParentCacheReader.open(dir, "77".repeat(32), GEN)).toBeUndefined();
    expect(await ParentCacheReader.open(join(dir, "nope"), SNAP, GEN)).toBeUndefined();
    expect(await ParentCacheReader.open(dir, "../x", GEN)).toBeUndefined();
    await writeFile(join(dir, `files-${SNAP}`), "not a cache at all\n");
    expect(await ParentCacheReader.open(dir, SNAP, GEN)).toBeUndefined();
    await writeFile(join(dir, `files-${SNAP}`), Buffer.alloc(10_000, 0x41)); // no newline in the header bound
    expect(await ParentCacheReader.open(dir, SNAP, GEN)).toBeUndefined();
    await writeFile(join(dir, `files-${SNAP}`), "");
    expect(await ParentCacheReader.open(dir, SNAP, GEN)).toBeUndefined();
  });

  it("degrades without throwing when the file is truncated anywhere", async () => {
    const keys = walkKeys(300);
    const path = await writeCache(keys);
    const full = (await stat(path)).size;
    const seed = numericTestSeed("parent-cache truncate");
    const next = mulberry32(seed);
    const cuts = [full - 1, full - 12, full - 13, ...Array.from({ length: 40 }, () => 100 + (next() % (full - 100)))];
    for (const cut of cuts) {
      await writeCache(keys);
      await truncate(path, cut);
      const reader = await ParentCacheReader.open(dir, SNAP, GEN);
      if (reader === undefined) continue; // cut inside the header
      await readAll(reader, keys); // every hit must still be exactly what was written
      // Past the last key the reader meets the cut: a missing end record is damage too.
      expect(await reader.lookup(Buffer.from([0xff, 0xff]))).toBeUndefined();
      expect(reader.damaged, `cut at ${cut}`).toBe(true);
      await reader.close();
    }
  });

  it("stops at a corrupt record: earlier records are served, later ones are not", async () => {
    const keys = walkKeys(2000);
    const path = await writeCache(keys);
    const bytes = await readFile(path);
    const seed = numericTestSeed("parent-cache flip");
    const next = mulberry32(seed);
    const header = bytes.indexOf(0x0a) + 1;
    for (let round = 0; round < 30; round++) {
      const at = header + (next() % (bytes.length - header));
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 1 << (next() % 8);
      await writeFile(path, damaged);
      const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
      const found = await readAll(reader, keys); // readAll asserts every hit equals what was written
      expect(found, `bit flip at ${at}`).toBeLessThan(keys.length);
      expect(reader.damaged, `bit flip at ${at}`).toBe(true);
      expect(await reader.lookup(Buffer.from([0xff]))).toBeUndefined();
      await reader.close();
    }
  });

  it("rejects a huge length field without allocating it", async () => {
    const path = await writeCache(walkKeys(5));
    const bytes = await readFile(path);
    const header = bytes.indexOf(0x0a) + 1;
    bytes.writeUInt32LE(0xffffffff, header);
    await writeFile(path, bytes);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    expect(await reader.lookup(walkKeys(5)[0])).toBeUndefined();
    expect(reader.damaged).toBe(true);
    await reader.close();
  });

  it("publishes nothing when the writer never commits (crash) or aborts", async () => {
    const keys = walkKeys(50_000); // more than one write buffer, so the temp file has data
    const crashed = await ParentCacheWriter.create(dir, "crash", { generation: GEN });
    for (let i = 0; i < keys.length; i++) await crashed.add(keys[i], fileFor(i));
    // The process "dies" here: no commit, no abort.
    expect((await readdir(dir)).filter((n) => n.startsWith("files-"))).toEqual([]);
    expect(await ParentCacheReader.open(dir, SNAP, GEN)).toBeUndefined();
    const aborted = await ParentCacheWriter.create(dir, "abort", { generation: GEN });
    await aborted.add(keys[0], fileFor(0));
    await aborted.abort();
    expect(await readdir(dir)).toEqual([crashed.tempPath.slice(dir.length + 1)]);
    await crashed.abort(); // only to release the file handle
  });

  it("replaces an earlier cache for the same snapshot atomically", async () => {
    const keys = walkKeys(100);
    await writeCache(keys.slice(0, 10));
    await writeCache(keys);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    expect(await readAll(reader, keys)).toBe(100);
    await reader.close();
  });

  it("prunes other caches and stale temp files, keeping fresh temp files and foreign files", async () => {
    const keep = "11".repeat(32);
    const drop = "22".repeat(32);
    await writeCache(walkKeys(3), fileFor, keep);
    await writeCache(walkKeys(3), fileFor, drop);
    const stale = await ParentCacheWriter.create(dir, "old", { generation: GEN });
    const fresh = await ParentCacheWriter.create(dir, "new", { generation: GEN });
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(stale.tempPath, old, old);
    await writeFile(join(dir, "blob-index-cache"), "someone else's");
    const removed = await pruneOldCaches(dir, [keep]);
    expect(removed.sort()).toEqual([`files-${drop}`, stale.tempPath.slice(dir.length + 1)].sort());
    expect((await readdir(dir)).sort()).toEqual(
      ["blob-index-cache", `files-${keep}`, fresh.tempPath.slice(dir.length + 1)].sort(),
    );
    await fresh.abort();
    await stale.abort(); // its file is gone; this only releases the handle
    expect(await pruneOldCaches(join(dir, "missing"), [])).toEqual([]);
  });

  it("skips a record too large for the format instead of failing", async () => {
    const w = await ParentCacheWriter.create(dir, "big", { generation: GEN });
    const keys = walkKeys(3);
    await w.add(keys[0], fileFor(0));
    await w.add(keys[1], { ...fileFor(1), content: new Array<BlobId>((1 << 21) + 1).fill("ab".repeat(32) as BlobId) });
    await w.add(keys[2], fileFor(2));
    await w.commit(SNAP);
    expect(w.skipped).toBe(1);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    expect(await readAll(reader, keys)).toBe(2);
    expect(reader.damaged).toBe(false);
    await reader.close();
  });

  it("stores a record larger than the write buffer", async () => {
    const keys = walkKeys(2);
    const many = Array.from({ length: 50_000 }, (_, i) => i.toString(16).padStart(64, "0") as BlobId);
    const w = await ParentCacheWriter.create(dir, "wide", { generation: GEN });
    await w.add(keys[0], { ...fileFor(0), content: many });
    await w.add(keys[1], fileFor(1));
    await w.commit(SNAP);
    const reader = (await ParentCacheReader.open(dir, SNAP, GEN))!;
    expect((await reader.lookup(keys[0]))?.content).toEqual(many);
    expect(await reader.lookup(keys[1])).toEqual(fileFor(1));
    await reader.close();
  });

  it("uses a CRC-32 identical to the JavaScript fallback", () => {
    const b = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
    expect(crc32(b)).toBe(jsCrc32(b));
    expect(jsCrc32(Buffer.from("123456789"))).toBe(0xcbf43926); // the standard check value
  });
});
