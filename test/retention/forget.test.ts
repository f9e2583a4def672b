import { describe, expect, test } from "vitest";
import { ObjectLockedError } from "../../src/core/errors.js";
import type { BlobId } from "../../src/core/ids.js";
import type { Snapshot } from "../../src/repository/format/snapshot-record.js";
import { forgetSnapshots } from "../../src/retention/forget.js";
import type { SnapshotStore } from "../../src/retention/snapshot-store.js";

const NOW = new Date("2026-06-10T12:00:00Z");

/** Snapshot records in memory: forget needs nothing else of a repository. */
class MemoryStore implements SnapshotStore {
  readonly clock = { now: () => NOW };
  readonly deleted: string[] = [];

  constructor(
    private records: Snapshot[],
    private readonly locked = new Set<string>(),
  ) {}

  listSnapshots(): Promise<Snapshot[]> {
    return Promise.resolve([...this.records]);
  }

  deleteSnapshot(id: string): Promise<void> {
    if (this.locked.has(id)) return Promise.reject(new ObjectLockedError("memory", `snapshots/${id}`, NOW));
    this.deleted.push(id);
    this.records = this.records.filter((s) => s.id !== id);
    return Promise.resolve();
  }
}

function snap(id: string, day: number, host = "web-1"): Snapshot {
  return {
    id,
    version: 1,
    time: new Date(Date.UTC(2026, 5, day, 6)).toISOString(),
    utcOffset: 0,
    host,
    paths: ["/srv"],
    tags: [],
    tree: "0".repeat(64) as BlobId,
    skeleton: "1".repeat(64) as BlobId,
    program: "test",
  };
}

describe("forgetSnapshots over a SnapshotStore", () => {
  const records = () => [snap("a", 1), snap("b", 2), snap("c", 3), snap("d", 3, "db-1")];

  test("deletes the records the policy removes, per host, and only those", async () => {
    const store = new MemoryStore(records());
    const r = await forgetSnapshots(store, { last: 1 });
    expect(store.deleted.sort()).toEqual(["a", "b"]);
    expect({ kept: r.kept, removed: r.removed, locked: r.locked }).toEqual({ kept: 2, removed: 2, locked: [] });
  });

  test("a dry run counts without deleting", async () => {
    const store = new MemoryStore(records());
    const r = await forgetSnapshots(store, { last: 1 }, { dryRun: true });
    expect(store.deleted).toEqual([]);
    expect(r.removed).toBe(2);
  });

  test("a record the store still retains is reported as locked, not failed", async () => {
    const store = new MemoryStore(records(), new Set(["a"]));
    const r = await forgetSnapshots(store, { last: 1 });
    expect(store.deleted).toEqual(["b"]);
    expect(r.locked).toEqual([{ id: "a", time: snap("a", 1).time, retainUntil: NOW.toISOString() }]);
  });
});
