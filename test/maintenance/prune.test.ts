/**
 * prune on an in-memory store with a controlled clock (store mtimes follow
 * it): two-phase deletion, revival of condemned packs a concurrent backup
 * committed against, the commit check that stops a late backup, repacking,
 * the refusal to empty a repository, and Object Lock.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import type { AgentKey } from "../../src/crypto/agent-key.js";
import type { Clock } from "../../src/core/clock.js";
import { RepositoryError, UsageError } from "../../src/core/errors.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { prune, type PruneOptions } from "../../src/maintenance/prune.js";
import { Repository } from "../../src/repository/repository.js";
import { snapshotKey } from "../../src/repository/format/layout.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { writeVersionFiles } from "../repository/version-files.js";
import { ObjectLockStorage } from "../fault/object-lock-storage.js";
import type { Storage } from "../../src/storage/storage.js";

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "cairn-prune-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let t = Date.parse("2026-01-01T00:00:00Z");
const clock: Clock = { now: () => new Date(t), sleep: async () => undefined };
const identity = generateIdentity();
let store: Storage;
let mem: MemoryStorage;
let agentKey: AgentKey;
const src = join(dir, "src");

const writeVersion = (v: number, files = 4) => writeVersionFiles(src, v, files);

const open = (withId = false) =>
  Repository.open(store, { agentKey, identities: withId ? [identity] : undefined, clock });
const backup = async (repo?: Repository) =>
  (await backupPaths(repo ?? (await open()), [src], { workers: 0, time: clock.now() })).snapshotId;
const runPrune = async (o: PruneOptions = {}, withId = false) =>
  prune(await open(withId), { graceMs: HOUR, maxUnused: 0.5, ...o });
const forget = (id: string) => store.delete(snapshotKey(id));
const packs = () => [...mem.objects.keys()].filter((k) => /^(data|meta)\//.test(k));

async function expectClean(snapshotContents: Map<string, string>): Promise<void> {
  const repo = await open(true);
  const r = await checkRepository(repo, { readData: true });
  expect(r.problems).toEqual([]);
  for (const [id, fingerprint] of snapshotContents) {
    const target = mkdtempSync(join(dir, "restore-"));
    const snap = await repo.findSnapshot(id);
    await restoreSnapshot(repo, snap.tree, target);
    expect(
      readFileSync(join(target, src, "f0"))
        .toString("base64")
        .slice(0, 64),
    ).toBe(fingerprint);
  }
}
const fingerprint = () => readFileSync(join(src, "f0")).toString("base64").slice(0, 64);

beforeEach(async () => {
  t = Date.parse("2026-01-01T00:00:00Z");
  mem = new MemoryStorage(clock);
  store = mem;
  ({ agentKey } = await Repository.init(store, {
    recipients: [identity.recipient],
    packSize: 32 * 1024,
    chunker: { min: 1024, avg: 4096, max: 16384 },
    clock,
  }));
});

describe("prune", () => {
  it("condemns unused packs first and deletes them only in a prune after the grace period", async () => {
    writeVersion(1);
    const old = await backup();
    writeVersion(2);
    const kept = new Map([[await backup(), fingerprint()]]);
    await forget(old);
    t += 2 * HOUR;
    const before = packs().length;
    const first = await runPrune();
    expect(first.packsMarked).toBeGreaterThan(0);
    expect(first.packsDeleted).toBe(0);
    expect(packs()).toHaveLength(before);
    await expectClean(kept);
    expect((await runPrune()).packsDeleted).toBe(0); // still within the grace period
    t += 2 * HOUR;
    const second = await runPrune();
    expect(second.packsDeleted).toBe(first.packsMarked);
    expect(second.bytesFreed).toBeGreaterThan(0);
    expect(packs()).toHaveLength(before - first.packsMarked);
    await expectClean(kept);
  });

  it("puts a condemned pack back when a backup that loaded the index before the mark commits against it", async () => {
    writeVersion(1);
    const old = await backup();
    const early = await open();
    await early.loadIndex(); // a backup on another host, started before the prune
    await forget(old);
    t += 2 * HOUR;
    const marked = await runPrune({ force: true });
    expect(marked.packsMarked).toBeGreaterThan(0);
    const late = await backup(early); // deduplicates against the condemned packs; the mark is young, so it commits
    t += 2 * HOUR;
    const r = await runPrune();
    expect(r.packsRevived).toBeGreaterThan(0);
    await expectClean(new Map([[late, fingerprint()]]));
    t += 2 * HOUR;
    await runPrune();
    await expectClean(new Map([[late, fingerprint()]]));
  });

  it("stops a backup whose commit comes later than half the grace period after a mark condemning what it uses", async () => {
    writeVersion(1);
    const old = await backup();
    const early = await open();
    await early.loadIndex();
    await forget(old);
    t += 2 * HOUR;
    await runPrune({ force: true });
    t += HOUR / 2 + 1;
    await expect(backup(early)).rejects.toThrow(RepositoryError);
    // The next run stores the data anew and survives the deletion.
    const again = await backup();
    t += 2 * HOUR;
    await runPrune();
    await expectClean(new Map([[again, fingerprint()]]));
  });

  it("makes backups that start after a mark store condemned data again instead of referencing it", async () => {
    writeVersion(1);
    const old = await backup();
    await forget(old);
    t += 2 * HOUR;
    await runPrune({ force: true });
    const after = await backup();
    t += 2 * HOUR;
    const r = await runPrune();
    expect(r.packsRevived).toBe(0);
    expect(r.packsDeleted).toBeGreaterThan(0);
    await expectClean(new Map([[after, fingerprint()]]));
  });

  it("repacks partly used packs (meta with the agent key, data only with the identity)", async () => {
    writeVersion(1, 12);
    const old = await backup();
    writeFileSync(join(src, "f0"), "changed");
    const kept = new Map([[await backup(), fingerprint()]]);
    await forget(old);
    t += 2 * HOUR;
    const agentOnly = await runPrune({ dryRun: true, maxUnused: 0 });
    expect(agentOnly.repackSkippedNoIdentity).toBeGreaterThan(0);
    const r = await runPrune({ maxUnused: 0 }, true);
    expect(r.packsRepacked).toBeGreaterThan(0);
    expect(r.blobsRepacked).toBeGreaterThan(0);
    t += 2 * HOUR;
    await runPrune({}, true);
    await expectClean(kept);
    expect((await runPrune({ dryRun: true, maxUnused: 0 }, true)).unusedBytesLeft).toBe(0);
  });

  it("refuses to condemn every pack without force", async () => {
    writeVersion(1);
    await forget(await backup());
    t += 2 * HOUR;
    await expect(runPrune()).rejects.toThrow(UsageError);
    expect((await runPrune({ force: true })).packsMarked).toBe(packs().length);
  });

  it("on Object Lock storage, defers locked deletions to a later prune and extends what kept snapshots need", async () => {
    const locked = new ObjectLockStorage(mem, clock, 3 * HOUR);
    store = locked;
    writeVersion(1);
    const old = await backup();
    writeVersion(2);
    const keptId = await backup();
    const kept = new Map([[keptId, fingerprint()]]);
    await expect(forget(old)).rejects.toThrow(/locked until/);
    t += 4 * HOUR;
    await forget(old);
    const first = await runPrune({ lockExtendMs: 10 * HOUR });
    expect(first.retentionExtended).toBeGreaterThan(0);
    expect(locked.retainUntil.get(snapshotKey(keptId))).toBe(t + 10 * HOUR);
    t += 2 * HOUR; // past the grace period, but the condemned packs' mark and old index files are still locked
    const second = await runPrune({ lockExtendMs: 10 * HOUR });
    expect(second.packsDeleted).toBe(first.packsMarked); // the packs were written long ago: their lock has lapsed
    expect(second.deletionsDeferred).toBeGreaterThan(0); // the mark itself and the superseded index files are younger
    await expectClean(kept);
    t += 4 * HOUR;
    const third = await runPrune({ lockExtendMs: 10 * HOUR });
    expect(third.deletionsDeferred).toBe(0);
    expect(locked.refusedDeletes).toBeGreaterThan(0);
    await expectClean(kept);
    // Kept data stays locked: nothing a kept snapshot needs can be deleted before its extended date.
    await expect(store.delete(snapshotKey(keptId))).rejects.toThrow(/locked/);
  });
});
