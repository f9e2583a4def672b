import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteStream } from "../pipeline/helpers/random-tree.js";
import { backup, indexedBlobs, makeLayout, makeRepo, useWorkDir } from "../pipeline/helpers/repo.js";
import { asBlobId, BlobType } from "../../src/core/ids.js";
import { packKey } from "../../src/repository/format/layout.js";
import { Repository } from "../../src/repository/repository.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import type { Storage } from "../../src/storage/storage.js";

/**
 * The BlobReader keeps a few decrypted packs. A restore walks the trees (one
 * tree blob per directory, all in a few tree packs) while its files stream
 * through the data packs; sharing one cache, the tree pack was evicted
 * between directories and fetched and decrypted again and again.
 */
const work = useWorkDir("blob-reader");

type Range = { offset: number; length: number };

/** `storage` with every get passed through `get` first (which may count it or fail it). */
function interceptGets(
  storage: Storage,
  get: (key: string, range: Range | undefined, next: () => Promise<Uint8Array>) => Promise<Uint8Array>,
): Storage {
  return new Proxy(storage, {
    get(target, prop, receiver) {
      if (prop === "get")
        return (key: string, range?: Range, signal?: AbortSignal) =>
          get(key, range, () => target.get(key, range, signal));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Counts whole-object gets per key (ranged gets are reads of single blobs). */
function countingWholeGets(storage: Storage): { storage: Storage; whole: Map<string, number> } {
  const whole = new Map<string, number>();
  const counted = interceptGets(storage, (key, range, next) => {
    if (range === undefined) whole.set(key, (whole.get(key) ?? 0) + 1);
    return next();
  });
  return { storage: counted, whole };
}

describe("BlobReader pack cache", () => {
  it("fetches a tree pack whole once while a restore streams through many data packs", async () => {
    const { src, out, work: w } = makeLayout(work());
    // Packs of 16 KiB: each directory's twelve incompressible files fill four or five data packs, so
    // the cache has turned over between two directories' trees, as in a real tree of larger directories.
    const r = await makeRepo(w, { packSize: 16 * 1024 });
    const noise = new ByteStream("blob-reader");
    const files = new Map<string, Buffer>();
    for (let d = 0; d < 100; d++) {
      const dir = join(src, `d${String(d).padStart(3, "0")}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 12; f++) {
        const body = noise.take(6_000 + d * 7 + f);
        writeFileSync(join(dir, `f${f}`), body);
        files.set(join(dir, `f${f}`), body);
      }
    }
    const b = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(b.summary.warnings).toBe(0);

    const blobs = await indexedBlobs(r);
    const treePacks = new Set(blobs.filter((x) => x.type === BlobType.Tree).map((x) => packKey(x.kind, x.pack)));
    const dataPacks = new Set(blobs.filter((x) => x.type === BlobType.Data).map((x) => x.pack));
    expect(dataPacks.size).toBeGreaterThan(300); // far more than the cache holds
    expect(treePacks.size).toBeLessThan(dataPacks.size / 20);

    const { storage, whole } = countingWholeGets(r.storage);
    const reader = await Repository.open(storage, { agentKey: r.agentKey, identities: [r.identity] });
    const res = await restoreSnapshot(reader, b.snapshot.tree, out);
    expect(res.errors).toEqual([]);
    for (const [path, body] of files) expect(readFileSync(join(out, path)).equals(body)).toBe(true);

    const treeLoads = [...treePacks].map((k) => whole.get(k) ?? 0);
    expect(treeLoads.some((n) => n > 0)).toBe(true); // read whole at all, so the cache is what is tested
    expect(Math.max(...treeLoads)).toBe(1);
  });

  it("restores a snapshot taken after changes with each data pack fetched whole at most once", async () => {
    // Changed files' new blobs sit in packs written by the second backup, while their unchanged blobs stay in
    // the first backup's packs; large files span several packs. In walk order the new packs were needed over
    // and over across the whole restore, and the large files read four packs at once besides the small files'.
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { packSize: 96 * 1024, chunker: { min: 8 * 1024, avg: 16 * 1024, max: 64 * 1024 } });
    const noise = new ByteStream("by-pack");
    const files = new Map<string, Buffer>();
    const put = (path: string, body: Buffer) => {
      writeFileSync(path, body);
      files.set(path, body);
    };
    for (let d = 0; d < 12; d++) {
      const dir = join(src, `d${String(d).padStart(2, "0")}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 15; f++) put(join(dir, `f${f}`), noise.take(2_000 + d * 31 + f));
      if (d % 3 === 0) put(join(dir, "large"), noise.take(300_000 + d));
    }
    const first = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(first.summary.warnings).toBe(0);
    for (const [path, body] of [...files]) {
      if (path.endsWith("large"))
        put(path, Buffer.concat([body.subarray(0, 100_000), noise.take(20_000), body.subarray(120_000)]));
      else if (path.endsWith("f7")) put(path, Buffer.concat([body, noise.take(3_000)]));
    }
    const b = await backup(r, [src], { cacheDir: r.cacheDir });

    const dataPacks = new Set(
      (await indexedBlobs(r)).filter((x) => x.type === BlobType.Data).map((x) => packKey(x.kind, x.pack)),
    );
    expect(dataPacks.size).toBeGreaterThan(12); // far more than the cache holds
    const { storage, whole } = countingWholeGets(r.storage);
    const reader = await Repository.open(storage, { agentKey: r.agentKey, identities: [r.identity] });
    const res = await restoreSnapshot(reader, b.snapshot.tree, out);
    expect(res.errors).toEqual([]);
    expect(res.files).toBe(files.size);
    for (const [path, body] of files) expect(readFileSync(join(out, path)).equals(body)).toBe(true);
    const loads = [...dataPacks].map((k) => whole.get(k) ?? 0);
    expect(loads.filter((n) => n > 0).length).toBeGreaterThan(dataPacks.size / 2);
    expect(Math.max(...loads)).toBe(1);
  });

  it("announced reads decide whole or ranged on the first read, and a prefetch loads only a pack worth loading whole", async () => {
    const { src, work: w } = makeLayout(work());
    const r = await makeRepo(w, { packSize: 64 * 1024 });
    mkdirSync(src);
    const noise = new ByteStream("announced");
    for (let f = 0; f < 40; f++) writeFileSync(join(src, `f${f}`), noise.take(3_000 + f)); // one blob each, several packs
    const b = await backup(r, [src], { cacheDir: r.cacheDir });
    const blobs = (await indexedBlobs(r)).filter((x) => x.type === BlobType.Data);
    const byPack = new Map<string, typeof blobs>();
    for (const x of blobs) byPack.set(packKey(x.kind, x.pack), [...(byPack.get(packKey(x.kind, x.pack)) ?? []), x]);
    const [[manyKey, many], [fewKey, few]] = [...byPack].sort((a, b) => b[1].length - a[1].length);
    expect(many.length).toBeGreaterThan(4);

    const gets: string[] = [];
    const counted = interceptGets(r.storage, (key, range, next) => {
      gets.push(`${range === undefined ? "whole" : "range"} ${key}`);
      return next();
    });
    const reader = await Repository.open(counted, { agentKey: r.agentKey, identities: [r.identity] });
    await reader.loadTree(b.snapshot.tree);
    gets.length = 0;
    // Every blob of one pack announced: its first read (or a prefetch) loads it whole.
    reader.expectReads(many.map((x) => asBlobId(x.id)));
    // One blob of another pack (~3 KB of ~64 KiB): read by range, and a prefetch does nothing.
    const one = few[0]!;
    reader.expectReads([asBlobId(one.id)]);
    reader.prefetch(asBlobId(one.id));
    expect(gets).toEqual([]);
    reader.prefetch(asBlobId(many[0]!.id));
    expect(gets).toEqual([`whole ${manyKey}`]);
    for (const x of many) await reader.readBlob(asBlobId(x.id));
    await reader.readBlob(asBlobId(one.id));
    expect(gets.filter((g) => g.endsWith(manyKey))).toEqual([`whole ${manyKey}`]);
    expect(gets.filter((g) => g.endsWith(fewKey)).every((g) => g.startsWith("range"))).toBe(true);
  });

  it("does not keep a failed load: the next read of the pack fetches it again", async () => {
    const { src, work: w } = makeLayout(work());
    const r = await makeRepo(w, { packSize: 64 * 1024 });
    mkdirSync(src);
    const body = new ByteStream("one-blob").take(40_000); // one blob, most of its pack: read whole at once
    writeFileSync(join(src, "f"), body);
    const b = await backup(r, [src], { cacheDir: r.cacheDir });
    const blob = (await indexedBlobs(r)).find((x) => x.type === BlobType.Data)!;
    let failNext = true;
    const flaky = interceptGets(r.storage, (key, range, next) => {
      if (range === undefined && key === packKey(blob.kind, blob.pack) && failNext) {
        failNext = false;
        return Promise.reject(new Error("connection reset"));
      }
      return next();
    });
    const reader = await Repository.open(flaky, { agentKey: r.agentKey, identities: [r.identity] });
    await reader.loadTree(b.snapshot.tree); // trees first: their pack is not the one that fails
    const id = asBlobId(blob.id);
    await expect(reader.readBlob(id)).rejects.toThrow(/connection reset/);
    expect(Buffer.from(await reader.readBlob(id)).equals(body)).toBe(true);
  });
});
