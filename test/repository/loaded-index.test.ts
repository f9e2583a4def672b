/**
 * LoadedIndex: the repository's index and prune marks as one process loads
 * them, and what maintenance reads of it (LoadedIndexView): the index files
 * read, condemned packs, packs indexed but missing, damage skipped.
 */
import { describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { BlobType, type BlobId } from "../../src/core/ids.js";
import { sealIndex, type IndexPack } from "../../src/repository/format/index-file.js";
import { indexKey, packKey } from "../../src/repository/format/layout.js";
import { LoadedIndex } from "../../src/repository/loaded-index.js";
import { emptyMark, writeMark } from "../../src/repository/prune-mark.js";
import type { RepositoryWarning } from "../../src/repository/repository-warning.js";
import { sha256Hex } from "../../src/repository/format/sha256.js";
import { MemoryStorage } from "../fault/memory-storage.js";

const id = (n: number) => n.toString(16).padStart(64, "0") as BlobId;

/** A pack row holding one blob, `blob`; the pack object is stored unless `stored` is false. */
function pack(n: number, blob: number): IndexPack {
  return { id: id(n), kind: "data", size: 1000, headerLength: 10, blobs: [[BlobType.Data, id(blob), 0, 50, 60, 1]] };
}

async function setUp(stored: IndexPack[]) {
  const storage = new MemoryStorage();
  const agent = AgentKey.generate();
  for (const p of stored) await storage.put(packKey(p.kind, p.id), new Uint8Array(p.size));
  const putIndex = async (packs: IndexPack[]) => {
    const file = sealIndex(agent, packs);
    const key = indexKey(sha256Hex(file));
    await storage.put(key, file);
    return key;
  };
  const warnings: RepositoryWarning[] = [];
  const loaded = new LoadedIndex(storage, agent, (w) => warnings.push(w));
  return { storage, agent, putIndex, warnings, loaded };
}

describe("LoadedIndex", () => {
  it("indexes the packs the store has, records the index files read and the packs it lacks", async () => {
    const a = pack(1, 101);
    const gone = pack(2, 102);
    const { putIndex, warnings, loaded } = await setUp([a]);
    const key = await putIndex([a, gone]);
    await loaded.load();
    expect(loaded.files).toEqual([key]);
    expect(loaded.blobs.get(id(101) as BlobId)?.packIndex).toBe(loaded.blobs.findPack(a.id));
    expect(loaded.blobs.get(id(102) as BlobId)).toBeUndefined();
    expect([...loaded.indexedButMissing]).toEqual([gone.id]);
    expect(loaded.condemned.size).toBe(0);
    expect(loaded.damaged).toEqual([]);
    expect(warnings.map((w) => [w.kind, w.key])).toEqual([["pack", gone.id]]);
  });

  it("skips a damaged index file, listing it as damage and warning once", async () => {
    const a = pack(1, 101);
    const { storage, putIndex, warnings, loaded } = await setUp([a]);
    const key = await putIndex([a]);
    const e = storage.objects.get(key)!;
    e.bytes[e.bytes.length - 1] ^= 1;
    await loaded.load();
    expect(loaded.files).toEqual([]);
    expect(loaded.blobs.size).toBe(0);
    expect(loaded.damaged.map((w) => [w.kind, w.key])).toEqual([["index", key]]);
    expect(warnings).toEqual(loaded.damaged);
  });

  it("applies the marks: superseded index files are not read, condemned packs come after live copies", async () => {
    const live = pack(1, 101);
    const condemned = pack(2, 101); // a second copy of blob 101
    const old = pack(3, 103);
    const { storage, agent, putIndex, loaded } = await setUp([live, condemned, old]);
    const superseded = await putIndex([old]);
    const current = await putIndex([live]);
    const markKey = await writeMark(storage, agent, emptyMark(new Date(), 1000, [condemned, old], [superseded]));
    expect(loaded.knowsMark(markKey)).toBe(false);
    const marks = await loaded.loadMarks();
    expect(marks.map((m) => m.key)).toEqual([markKey]);
    await loaded.load();
    expect(loaded.files).toEqual([current]);
    expect(loaded.knowsMark(markKey)).toBe(true);
    const condemnedNumbers = [condemned, old].map((p) => loaded.blobs.findPack(p.id));
    expect([...loaded.condemned].sort()).toEqual(condemnedNumbers.sort());
    expect(loaded.blobs.get(id(101) as BlobId)?.packIndex).toBe(loaded.blobs.findPack(live.id));
    expect(loaded.blobs.get(id(103) as BlobId)?.packIndex).toBe(loaded.blobs.findPack(old.id));
    expect(await loaded.loadMarks()).toBe(marks); // read once
  });

  it("ignores a damaged mark, listing it as damage", async () => {
    const { storage, agent, loaded } = await setUp([]);
    const markKey = await writeMark(storage, agent, emptyMark(new Date(), 1000));
    const e = storage.objects.get(markKey)!;
    e.bytes[e.bytes.length - 1] ^= 1;
    await loaded.load();
    expect(await loaded.loadMarks()).toEqual([]);
    expect(loaded.damaged.map((w) => [w.kind, w.key])).toEqual([["prune mark", markKey]]);
    expect(loaded.knowsMark(markKey)).toBe(false);
  });
});
