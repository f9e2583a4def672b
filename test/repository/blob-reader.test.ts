import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BlobId } from "../../src/ids.js";
import { Repository } from "../../src/repository/repository.js";
import type { ByteRange, Storage } from "../../src/storage/storage.js";
import { ByteStream } from "../pipeline/helpers/random-tree.js";
import { backup, indexedBlobs, makeLayout, makeRepo, useWorkDir } from "../pipeline/helpers/repo.js";

/**
 * How blobs are fetched from a data pack: a few scattered reads (ls, dump,
 * one file) stay ranged; a restore, which reads files in the order they were
 * packed, loads a pack whole from its second blob, then serves the rest from
 * memory.
 */
const work = useWorkDir("blob-reader");

/** The storage with its data-pack gets recorded: whole (no range) or ranged. */
function counting(storage: Storage): { storage: Storage; gets: { whole: number; ranged: number } } {
  const gets = { whole: 0, ranged: 0 };
  const wrapped = new Proxy(storage, {
    get(target, prop, receiver) {
      if (prop !== "get") return Reflect.get(target, prop, receiver) as unknown;
      return (key: string, range?: ByteRange, signal?: AbortSignal) => {
        if (key.startsWith("data/")) gets[range ? "ranged" : "whole"]++;
        return target.get(key, range, signal);
      };
    },
  });
  return { storage: wrapped, gets };
}

describe("BlobReader: ranged reads or whole packs", () => {
  it("reads a few blobs of a pack by range, and loads it whole for a restore from the second blob on", async () => {
    const { src, work: w } = makeLayout(work());
    const r = await makeRepo(w, { packSize: 4 * 1024 * 1024 });
    mkdirSync(src);
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `f${i}`), new ByteStream(`f${i}`).take(20_000));
    await backup(r, [src], { cacheDir: r.cacheDir });
    const data = (await indexedBlobs(r)).filter((b) => b.type === 0);
    const inFirstPack = data.filter((b) => b.pack === data[0]!.pack).map((b) => b.id as BlobId);
    expect(inFirstPack.length).toBeGreaterThanOrEqual(8);

    // ls / dump: six blobs of one pack (15% of it), each fetched by range.
    const scattered = counting(r.storage);
    const a = await Repository.open(scattered.storage, { agentKey: r.agentKey, identities: [r.identity] });
    for (const id of inFirstPack.slice(0, 6)) expect((await a.readBlob(id)).length).toBe(20_000);
    expect(scattered.gets.whole).toBe(0);
    expect(scattered.gets.ranged).toBeGreaterThanOrEqual(6);

    // restore: the first blob by range, then the pack once, whole; the rest from memory.
    const restoring = counting(r.storage);
    const b = await Repository.open(restoring.storage, { agentKey: r.agentKey, identities: [r.identity] });
    for (const id of inFirstPack) expect((await b.readStoredBlob(id)).rawLength).toBe(20_000);
    expect(restoring.gets.whole).toBe(1);
    expect(restoring.gets.ranged).toBeLessThanOrEqual(2); // the age header and the first blob's chunks
  });
});
