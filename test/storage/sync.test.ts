import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StorageError } from "../../src/core/errors.js";
import { syncStorage } from "../../src/storage/sync.js";
import type { PutBody } from "../../src/storage/storage.js";
import { bodyChunks } from "../../src/storage/put-body.js";
import { CrashingStorage, SimulatedCrash } from "../fault/crashing-storage.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { RecordingStorage } from "../fault/recording-storage.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const named = (prefix: string, b: Uint8Array) => `${prefix}${sha(b)}`;
const expectedSha256 = (key: string) => (/[0-9a-f]{64}$/.exec(key) ?? [])[0];
const phase = (key: string) => (key.startsWith("snapshots/") ? 2 : key.startsWith("index/") ? 1 : 0);

async function sourceRepo(packs = 6) {
  const s = new MemoryStorage();
  await s.put("config", Buffer.from("config"));
  for (let i = 0; i < packs; i++) {
    const b = randomBytes(1000 + i);
    await s.put(named(`data/${sha(b).slice(0, 2)}/`, b), b);
  }
  for (const prefix of ["index/", "snapshots/"]) {
    const b = randomBytes(100);
    await s.put(named(prefix, b), b);
  }
  return s;
}

async function sameObjects(a: MemoryStorage, b: MemoryStorage) {
  expect([...b.objects.keys()].sort()).toEqual([...a.objects.keys()].sort());
  for (const [k, v] of a.objects)
    expect(Buffer.from(b.objects.get(k)!.bytes).equals(Buffer.from(v.bytes)), k).toBe(true);
}

describe("syncStorage", () => {
  it("copies every object in write order, then skips them all on a re-run", async () => {
    const from = await sourceRepo();
    const to = new MemoryStorage();
    const rec = new RecordingStorage(to);
    const first = await syncStorage(from, rec, { phase, expectedSha256, concurrency: 3 });
    expect(first).toMatchObject({ copied: 9, skipped: 0, problems: [] });
    await sameObjects(from, to);
    const puts = rec.keys("put");
    expect(puts.at(-1)).toMatch(/^snapshots\//); // the commit object goes last
    const lastData = Math.max(...puts.map((k, i) => (k.startsWith("data/") ? i : -1)));
    expect(puts.findIndex((k) => k.startsWith("index/"))).toBeGreaterThan(lastData);
    const again = await syncStorage(from, to, { phase, expectedSha256 });
    expect(again).toMatchObject({ copied: 0, skipped: 9 });
  });

  it("resumes after an interruption and copies only what is missing", async () => {
    const from = await sourceRepo(10);
    const to = new MemoryStorage();
    await expect(
      syncStorage(from, new CrashingStorage(to, 5), { phase, expectedSha256, concurrency: 1 }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect(to.objects.size).toBe(4);
    expect([...to.objects.keys()].some((k) => k.startsWith("snapshots/"))).toBe(false);
    const rec = new RecordingStorage(to);
    const r = await syncStorage(from, rec, { phase, expectedSha256 });
    expect(r).toMatchObject({ copied: 9, skipped: 4 });
    expect(rec.keys("put")).toHaveLength(9);
    await sameObjects(from, to);
  });

  it("does not copy a source object whose bytes disagree with its name, and reports it", async () => {
    const from = await sourceRepo(3);
    const victim = [...from.objects.keys()].find((k) => k.startsWith("data/"))!;
    from.objects.get(victim)!.bytes[10] ^= 1;
    const to = new MemoryStorage();
    const r = await syncStorage(from, to, { phase, expectedSha256 });
    expect(r.problems).toEqual([{ key: victim, message: expect.stringMatching(/damaged/) }]);
    expect(to.objects.has(victim)).toBe(false);
    expect(r.copied).toBe(5);
  });

  it("fails, and removes the copy, when the target stores other bytes than were sent", async () => {
    const from = await sourceRepo(2);
    const to = new (class extends MemoryStorage {
      override async put(key: string, body: PutBody) {
        const parts: Uint8Array[] = [];
        for await (const c of bodyChunks(body)) parts.push(c);
        const bytes = Buffer.concat(parts);
        if (key.startsWith("data/")) bytes[0] ^= 0x80; // a store that mangles bodies
        return super.put(key, bytes);
      }
    })();
    const err = await syncStorage(from, to, { phase, expectedSha256, concurrency: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toMatch(/copy does not match the source/);
    expect([...to.objects.keys()].filter((k) => k.startsWith("data/"))).toEqual([]);
  });
});
