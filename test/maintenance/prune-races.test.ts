/**
 * Races between prune and backups on other hosts (FORMAT.md §Prune), each
 * replayed deterministically: one party is stopped at a chosen storage call
 * (PausingStorage) while the other runs to completion, then it goes on. After
 * every interleaving the prunes that follow must succeed, check --read-data
 * must be clean and every committed snapshot must restore.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import type { AgentKey } from "../../src/crypto/agent-key.js";
import type { Clock } from "../../src/core/clock.js";
import { RepositoryError } from "../../src/core/errors.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { prune, type PruneOptions } from "../../src/maintenance/prune.js";
import { Repository } from "../../src/repository/repository.js";
import { snapshotKey } from "../../src/repository/format/layout.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import type { Storage } from "../../src/storage/storage.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { PausingStorage } from "../fault/pausing-storage.js";
import { writeVersionFiles } from "../repository/version-files.js";

const G = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "cairn-prune-races-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let t = 0;
const clock: Clock = { now: () => new Date(t), sleep: async () => undefined };
const identity = generateIdentity();
let mem: MemoryStorage;
let agentKey: AgentKey;
const src = join(dir, "src");

const writeVersion = (v: number, keep = 0) => writeVersionFiles(src, v, 4, keep);

const open = (store: Storage = mem, withId = false) =>
  Repository.open(store, { agentKey, identities: withId ? [identity] : undefined, clock });
const backup = async (store: Storage = mem) =>
  (await backupPaths(await open(store), [src], { workers: 0, time: clock.now(), host: "other" })).snapshotId;
const runPrune = async (store: Storage = mem, o: PruneOptions = {}) =>
  prune(await open(store, true), { graceMs: G, maxUnused: 0.3, force: true, ...o });
const forget = (id: string) => mem.delete(snapshotKey(id));
const contents = () =>
  readFileSync(join(src, "f0")).toString("base64") + readFileSync(join(src, "f3")).toString("base64");

/** check --read-data is clean and each snapshot restores to what was backed up. */
async function expectClean(snapshots: Map<string, string>): Promise<void> {
  const repo = await open(mem, true);
  expect((await checkRepository(repo, { readData: true })).problems).toEqual([]);
  for (const [id, want] of snapshots) {
    const target = mkdtempSync(join(dir, "restore-"));
    await restoreSnapshot(repo, (await repo.findSnapshot(id)).tree, target);
    expect(
      readFileSync(join(target, src, "f0")).toString("base64") +
        readFileSync(join(target, src, "f3")).toString("base64"),
    ).toBe(want);
  }
}

/** Prunes a whole grace period apart until every mark is finished; each must succeed and leave the repository clean. */
async function settle(snapshots: Map<string, string>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    t += G + 1;
    await runPrune();
    await expectClean(snapshots);
  }
}

async function freshRepository(): Promise<void> {
  t = Date.parse("2026-01-01T00:00:00Z");
  mem = new MemoryStorage(clock);
  ({ agentKey } = await Repository.init(mem, {
    recipients: [identity.recipient],
    packSize: 32 * 1024,
    chunker: { min: 1024, avg: 4096, max: 16384 },
    clock,
  }));
}
beforeEach(freshRepository);

/**
 * A repository with a forgotten snapshot's packs condemned by a mark that has
 * just expired, and the next version (half reused) in `src`: a prune now
 * deletes or revives, and a backup now deduplicates against condemned data.
 */
async function expiredMarkAndNextVersion(): Promise<void> {
  await freshRepository();
  writeVersion(1);
  await forget(await backup());
  t += 2 * G;
  await runPrune();
  t += G + 1;
  writeVersion(2, 2);
}

/**
 * Run `paused` on a PausingStorage stopped before its k-th storage call (after
 * opening the repository) and `other` to completion during the stop. Returns
 * whether `paused` reached that call, and how it ended.
 */
async function interleave<T>(
  k: number,
  paused: (repo: Repository) => Promise<T>,
  other: () => Promise<unknown>,
): Promise<{ reached: boolean; result: T | unknown }> {
  const gate = new PausingStorage(mem);
  const repo = await open(gate, true);
  const opened = gate.calls;
  const pause = gate.pauseAt((_op, _key, call) => call === opened + k);
  const run = paused(repo).catch((e: unknown) => e);
  const reached = await Promise.race([pause.reached.then(() => true), run.then(() => false)]);
  if (reached) {
    await other();
    pause.release();
  }
  return { reached, result: await run };
}

describe("prune racing a backup on another host", () => {
  // Each listing and the first index read of a prune: a backup commits in between.
  // (Before prune listed snapshots after loading the index, and packs before index
  // files, a snapshot committed there named blobs the prune had not indexed.)
  const points: [string, "list" | "get", string][] = [
    ["before listing marks", "list", "prune/"],
    ["before listing snapshots", "list", "snapshots/"],
    ["before listing index files", "list", "index/"],
    ["before listing data packs", "list", "data/"],
    ["before listing meta packs", "list", "meta/"],
    ["before reading an index file", "get", "index/"],
  ];
  it.each(points)("%s, it commits a snapshot that reuses old data and adds new", async (_, op, prefix) => {
    writeVersion(1);
    await forget(await backup());
    t += 2 * G; // the forgotten snapshot's packs are old enough to condemn
    const gate = new PausingStorage(mem);
    const pause = gate.pauseBefore(op, prefix);
    const pruning = runPrune(gate);
    await pause.reached;
    writeVersion(2, 2); // half the files as before (dedup against packs the prune may condemn), half new
    const kept = new Map([[await backup(), contents()]]);
    pause.release();
    await pruning;
    await expectClean(kept);
    await settle(kept);
  });

  it("a backup that read a mark's listing keeps going when a prune finishes and deletes that mark before it reads it", async () => {
    writeVersion(1);
    await forget(await backup());
    t += 2 * G;
    await runPrune(); // condemns the forgotten snapshot's packs
    t += 2 * G;
    const gate = new PausingStorage(mem);
    const pause = gate.pauseBefore("get", "prune/");
    const backingUp = backup(gate);
    await pause.reached;
    expect((await runPrune()).packsDeleted).toBeGreaterThan(0); // deletes the mark the backup listed
    pause.release();
    const kept = new Map([[await backingUp, contents()]]);
    await expectClean(kept);
    await settle(kept);
  });

  it("a pack condemned as unindexed, indexed late and condemned again is kept until the younger mark expires", async () => {
    writeVersion(1);
    // A backup slower than the grace period: its packs are uploaded, its index file is not written yet.
    const gate = new PausingStorage(mem);
    const pause = gate.pauseBefore("put", "index/");
    const slow = backup(gate);
    await pause.reached;
    t += G + 1;
    expect((await runPrune()).packsMarked).toBeGreaterThan(0); // mark 1: the slow backup's packs, as unindexed
    t += G / 2 + 1;
    pause.release();
    await expect(slow).rejects.toThrow(RepositoryError); // its commit comes too late after mark 1
    const early = await open(); // another host loads the index: the packs are live again (indexed by the slow backup)
    await early.loadIndex();
    expect((await runPrune()).packsMarked).toBeGreaterThan(0); // mark 2: the same packs, now with their blobs
    t += G / 2 - 1; // mark 1 has expired; mark 2 is young enough for a backup to commit against it
    const gate2 = new PausingStorage(mem);
    const listed = gate2.pauseBefore("list", "index/"); // the prune has judged mark 1 expired and listed snapshots
    const pruning = runPrune(gate2);
    await listed.reached;
    const late = await backupPaths(early, [src], { workers: 0, time: clock.now(), host: "other" }); // dedups against the packs
    const kept = new Map([[late.snapshotId, contents()]]);
    listed.release();
    await pruning; // finishing mark 1 must leave the packs to mark 2, which the late snapshot's prune will see
    await expectClean(kept);
    await settle(kept);
  });

  // Sweeps: stop one party before each of its storage calls in turn, run the other whole.
  // Each is ~100 rounds of a fresh repository, a backup and a prune: ~55 s in a CI run
  // on a busy 2-core machine, so they get more than the default minute.
  const SWEEP_TIMEOUT = 240_000;
  it(
    "at every storage call of a prune that deletes and marks, a backup commits and survives",
    { timeout: SWEEP_TIMEOUT },
    async () => {
      for (let k = 1; ; k++) {
        await expiredMarkAndNextVersion();
        const kept = new Map<string, string>();
        const { reached, result } = await interleave(
          k,
          (repo) => prune(repo, { graceMs: G, maxUnused: 0.3, force: true }),
          async () => kept.set(await backup(), contents()),
        );
        if (result instanceof Error) throw result;
        await expectClean(kept);
        await settle(kept);
        if (!reached) break;
      }
    },
  );

  it(
    "at every storage call of a backup, a prune that deletes and marks runs whole; the backup commits safely or stops",
    { timeout: SWEEP_TIMEOUT },
    async () => {
      for (let k = 1; ; k++) {
        await expiredMarkAndNextVersion();
        const want = contents();
        const { reached, result } = await interleave(
          k,
          (repo) => backupPaths(repo, [src], { workers: 0, time: clock.now() }),
          () => runPrune(),
        );
        if (
          result instanceof Error &&
          !(result instanceof RepositoryError && /could race its deletion/.test(result.message))
        )
          throw result;
        const kept = new Map(result instanceof Error ? [] : [[(result as { snapshotId: string }).snapshotId, want]]);
        await expectClean(kept);
        await settle(kept);
        if (!reached) break;
      }
    },
  );
});
