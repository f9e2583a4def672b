/**
 * Prune's deletions (phase 2 and the superseded index files): several in
 * flight at once, bounded; keys the store refuses under Object Lock come back
 * for a later prune; any other failure stops the run.
 */
import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { deleteAllUnlessLocked } from "../../src/maintenance/prune-index.js";
import { StorageDecorator } from "../../src/storage/storage-decorator.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { ObjectLockStorage } from "../fault/object-lock-storage.js";

/** Counts deletes in flight; each waits a turn of the event loop so others can start meanwhile. */
class InFlightCounter extends StorageDecorator {
  inFlight = 0;
  peak = 0;
  override async delete(key: string): Promise<void> {
    this.peak = Math.max(this.peak, ++this.inFlight);
    await new Promise((res) => setImmediate(res));
    if (key.endsWith("bad")) throw new Error(`cannot delete ${key}`);
    await this.inner.delete(key);
    this.inFlight--;
  }
}

const clock: Clock = { now: () => new Date(0), sleep: async () => undefined };
const keys = (n: number, prefix = "index/") =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(64, "0")}`);

describe("deleteAllUnlessLocked", () => {
  it("deletes every key with several, but a bounded number, in flight", async () => {
    const mem = new MemoryStorage(clock);
    for (const k of keys(100)) await mem.put(k, new Uint8Array([1]));
    const counter = new InFlightCounter(mem);
    expect(await deleteAllUnlessLocked(counter, keys(100))).toEqual(new Set());
    expect(mem.objects.size).toBe(0);
    expect(counter.peak).toBeGreaterThan(1);
    expect(counter.peak).toBeLessThanOrEqual(16);
  });

  it("returns the keys Object Lock refused and deletes the rest", async () => {
    const mem = new MemoryStorage(clock);
    for (const k of keys(10)) await mem.put(k, new Uint8Array([1]));
    const locked = new ObjectLockStorage(mem, clock, 1000);
    await locked.put("index/" + "f".repeat(64), new Uint8Array([2])); // written through the lock: retained
    const refused = await deleteAllUnlessLocked(locked, [...keys(10), "index/" + "f".repeat(64)]);
    expect(refused).toEqual(new Set(["index/" + "f".repeat(64)]));
    expect([...mem.objects.keys()]).toEqual(["index/" + "f".repeat(64)]);
  });

  it("stops at another failure and throws it once the deletions in flight end", async () => {
    const mem = new MemoryStorage(clock);
    const all = [...keys(5), "index/bad", ...keys(100, "meta/")];
    for (const k of all) await mem.put(k.endsWith("bad") ? "index/" + "e".repeat(64) : k, new Uint8Array([1]));
    const counter = new InFlightCounter(mem);
    await expect(deleteAllUnlessLocked(counter, all)).rejects.toThrow(/cannot delete index\/bad/);
    expect([...mem.objects.keys()].filter((k) => k.startsWith("meta/")).length).toBeGreaterThan(0); // not every later key was tried
  });
});
