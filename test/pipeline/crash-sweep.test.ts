/**
 * docs/RELIABILITY.md S3: crash-point sweep. A backup runs on CrashingStorage(inner, k)
 * for k = 1, 2, ... until a run completes without crashing. After each crash
 * the inner storage, reopened without the wrapper, must pass
 * `checkRepository` (read-data included), list exactly the snapshots that
 * existed before, and accept a re-run backup that restores byte-identically.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the data.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import type { AgentKey } from "../../src/crypto/agent-key.js";
import type { BlobId } from "../../src/core/ids.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { Repository } from "../../src/repository/repository.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { CrashingStorage, SimulatedCrash } from "../fault/crashing-storage.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import {
  manifest,
  removeDir,
  seededBytes,
  seededText,
  tempDir,
  testSeed,
  writeTree,
  type Manifest,
} from "../e2e/helpers/kill-harness.js";

const CHUNKER = { min: 1024, avg: 4096, max: 16384 };
const PACK_SIZE = 64 * 1024;

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/**
 * Promise rejections nobody handled while `fn` ran. Vitest's own listeners are
 * set aside meanwhile, so a known leak is asserted on (below) instead of
 * failing the run from outside any test.
 */
async function collectUnhandled<T>(fn: () => Promise<T>): Promise<{ result: T; unhandled: unknown[] }> {
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const unhandled: unknown[] = [];
  process.on("unhandledRejection", (e) => unhandled.push(e));
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 50));
    return { result, unhandled };
  } finally {
    process.removeAllListeners("unhandledRejection");
    for (const l of saved) process.on("unhandledRejection", l);
  }
}

let sweepUnhandled: unknown[] | undefined;

function clone(s: MemoryStorage): MemoryStorage {
  const c = new MemoryStorage();
  for (const [k, v] of s.objects) c.objects.set(k, { bytes: v.bytes.slice(), mtime: v.mtime });
  return c;
}

interface Good {
  id: string;
  want: Manifest;
}

describe("S3: crash-point sweep over a backup", () => {
  it("keeps every repository invariant for every crash point, first backup and incremental", async () => {
    const seed = testSeed("S3 crash sweep");
    const dir = tempDir("sweep");
    dirs.push(dir);
    const src = join(dir, "src");
    const files: Record<string, Uint8Array> = { "big/random.bin": seededBytes(seed, "random", 500 * 1024) };
    for (let i = 0; i < 12; i++) files[`docs/d${i % 3}/f${i}.txt`] = seededText(seed, `f${i}`, 8_000 + i * 1000);
    writeTree(src, files);

    const identity = generateIdentity();
    const base = new MemoryStorage();
    const { agentKey } = await Repository.init(base, {
      recipients: [identity.recipient],
      packSize: PACK_SIZE,
      chunker: CHUNKER,
    });

    // Sweep 1: the first backup into an empty repository.
    const first = await collectUnhandled(() => sweep(base, agentKey, identity, src, [], dir, undefined));
    const afterFirst = first.result;
    // The repository with one good snapshot, made without crashes; its parent cache is kept.
    const cacheDir = join(dir, "cache");
    const good1: Good = {
      id: (await backupPaths(await Repository.open(base, { agentKey }), [src], { cacheDir, workers: 0 })).snapshotId,
      want: manifest(src),
    };

    // Sweep 2: an incremental backup (parent cache in use) after changes.
    writeTree(src, {
      "big/more.bin": seededBytes(seed, "more", 300 * 1024),
      "docs/new.txt": seededText(seed, "new", 30_000),
    });
    writeFileSync(join(src, "docs/d0/f0.txt"), seededText(seed, "f0-changed", 9_000));
    rmSync(join(src, "docs/d1/f1.txt"));
    const second = await collectUnhandled(() => sweep(base, agentKey, identity, src, [good1], dir, cacheDir));
    const afterSecond = second.result;
    sweepUnhandled = [...first.unhandled, ...second.unhandled];
    if (sweepUnhandled.length > 0)
      console.log(
        `S3: ${sweepUnhandled.length} unhandled rejection(s) during the sweep: ${sweepUnhandled.map(String).join("; ")}`,
      );
    console.log(`S3: first backup swept over ${afterFirst} crash points, incremental over ${afterSecond}`);
    expect(afterFirst).toBeGreaterThan(10); // packs, index files mid-run and at the end, the snapshot
    expect(afterSecond).toBeGreaterThan(5);
  }, 120_000);

  // BUG (src/repository/index-writer.ts): an index file written mid-run (every
  // 8 packs) is a promise nobody awaits until finish(); when its put fails
  // (here: the crash lands on it) the rejection is unhandled. Under the CLI
  // on Node 20 an unhandled rejection kills the process with "unexpected
  // error" instead of the typed error; in a long-running agent it would take
  // the daemon down. `.fails` until fixed: then drop `.fails`.
  it("a crash on a mid-run index write leaves no unhandled promise rejection", () => {
    expect(sweepUnhandled, "the sweep test must run first").toBeDefined();
    expect(sweepUnhandled).toEqual([]);
  });
});

/** Returns how many crash points were swept (the number of mutations of a complete run). */
async function sweep(
  base: MemoryStorage,
  agentKey: AgentKey,
  identity: ReturnType<typeof generateIdentity>,
  src: string,
  prior: Good[],
  dir: string,
  cacheDir: string | undefined,
): Promise<number> {
  const want = manifest(src);
  for (let k = 1; ; k++) {
    const inner = clone(base);
    const crashing = new CrashingStorage(inner, k);
    let error: unknown;
    let result: Awaited<ReturnType<typeof backupPaths>> | undefined;
    try {
      result = await backupPaths(await Repository.open(crashing, { agentKey }), [src], { cacheDir, workers: 0 });
    } catch (e) {
      error = e;
    }
    // Let writes that were in flight when the process "died" land, as they may on real storage.
    await new Promise((r) => setTimeout(r, 20));
    const where = `crash point k=${k}`;
    if (!crashing.crashed) {
      expect(error, where).toBeUndefined();
      expect(result!.warnings, where).toEqual([]);
    } else {
      expect(error, `${where}: a crashed run must fail, not commit`).toBeInstanceOf(SimulatedCrash);
    }

    const reader = await Repository.open(inner, { agentKey, identities: [identity] });
    const report = await checkRepository(reader, { readData: true });
    expect(report.problems, where).toEqual([]);
    expect(report.dataPacksSkipped, where).toBe(0);
    const listed = (await reader.listSnapshots()).map((s) => s.id);
    const good = crashing.crashed ? prior : [...prior, { id: result!.snapshotId, want }];
    expect(listed.sort(), `${where}: snapshots are exactly the earlier good ones`).toEqual(
      good.map((g) => g.id).sort(),
    );

    // The re-run completes and every snapshot restores.
    const rerun = await backupPaths(await Repository.open(inner, { agentKey }), [src], { cacheDir, workers: 0 });
    expect(rerun.warnings, where).toEqual([]);
    const all = [...good, { id: rerun.snapshotId, want }];
    const repo = await Repository.open(inner, { agentKey, identities: [identity] });
    const snaps = await repo.listSnapshots();
    for (const g of all) {
      const target = join(dir, `restore-${k}`);
      const res = await restoreSnapshot(repo, snaps.find((s) => s.id === g.id)!.tree as BlobId, target);
      expect(res.errors, where).toEqual([]);
      expect(manifest(join(target, src)), `${where}: snapshot ${g.id.slice(0, 8)}`).toEqual(g.want);
      rmSync(target, { recursive: true, force: true });
    }
    expect((await checkRepository(repo)).problems, `${where}: after the re-run`).toEqual([]);
    if (!crashing.crashed) return k - 1;
  }
}
