/**
 * Issue 5.3 / RELIABILITY S6-S7: three writers (separate processes, separate
 * hosts) back up changing data in a loop while `forget` + `prune` run again
 * and again (20 rounds, a grace period a little longer than a backup). No
 * lock is taken. A backup may fail only with the prune-race error (its commit
 * came too late after a mark); every committed snapshot the policy keeps must
 * restore byte-identically, and check --read-data must be clean.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the data.
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkRepository } from "../../src/maintenance/check.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import {
  jsonLines,
  makeRepo,
  manifest,
  openRepo,
  randInt,
  removeDir,
  rng,
  runCli,
  seededBytes,
  tempDir,
  testSeed,
  writeTree,
  type Manifest,
} from "./helpers/kill-harness.js";

const KiB = 1024;
/** 20 rounds on every run (the floor); CAIRN_PRUNE_ROUNDS raises it for soak runs. */
const ROUNDS = Number(process.env.CAIRN_PRUNE_ROUNDS ?? 20);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

// Soak only (`npm run test:soak`): it takes 1-3 minutes on 2 cores, too long for the default suite.
// The races it used to hit (a prune loading the index before listing snapshots, packs listed before
// index files, marks finished between a backup's listing and its read, a pack under two marks) are
// replayed deterministically, and fast, in test/maintenance/prune-races.test.ts.
describe.skipIf(!process.env.CAIRN_SOAK)("S6/S7: backups from three hosts while forget and prune run", () => {
  it("never loses a kept snapshot's data", async () => {
    const seed = testSeed("prune concurrent");
    const dir = tempDir("prune-concurrent");
    dirs.push(dir);
    const t = await makeRepo(dir, { packSize: 64 * KiB, chunker: { min: 8 * KiB, avg: 16 * KiB, max: 64 * KiB } });
    const wants = new Map<string, { want: Manifest; src: string }>();
    let stop = false;
    let raced = 0;
    const writer = async (w: number) => {
      const r = rng(seed + w);
      const src = join(dir, `src${w}`);
      for (let v = 0; !stop; v++) {
        const files: Record<string, Uint8Array> = {};
        // Shared files (cross-host dedup) and per-version files (garbage once forgotten).
        for (let i = 0; i < 6; i++)
          files[`f${i}.bin`] = seededBytes(
            seed,
            i < 2 ? `shared/${i}/${v % 3}` : `w${w}/${i}/${i % 2 ? v : v >> 2}`,
            randInt(r, 10 * KiB, 40 * KiB),
          );
        removeDir(src);
        writeTree(src, files);
        const res = await runCli([
          "backup",
          ...t.args,
          "--cache-dir",
          join(dir, `cache${w}`),
          "--host",
          `w${w}`,
          "--json",
          src,
        ]);
        const summary = jsonLines(res.stdout).find((l) => l.type === "summary");
        if (res.code === 0 && summary) wants.set(summary.snapshot as string, { want: manifest(src), src });
        else if (/could race its deletion/.test(res.stderr))
          raced++; // a backup slower than the grace period is stopped, never committed
        else throw new Error(`writer ${w}: backup exited ${res.code}: ${res.stderr}`);
        // A pause between backups keeps three writers from starving the pruner on a 2-core CI machine.
        await new Promise((res) => setTimeout(res, randInt(r, 300, 900)));
      }
    };
    const pruner = async () => {
      const r = rng(seed ^ 0xabc);
      for (let i = 0; i < ROUNDS; i++) {
        const f = await runCli(["forget", ...t.args, "--keep-last", "2", "--group-by", "host"]);
        expect(f.code, f.stderr).toBe(0);
        const p = await runCli([
          "prune",
          ...t.args,
          "--identity",
          t.identityFile,
          "--grace",
          "8s",
          "--max-unused",
          "40%",
          "--force",
          "--json",
        ]);
        expect(p.code, p.stderr).toBe(0);
        await new Promise((res) => setTimeout(res, randInt(r, 0, 400)));
      }
      stop = true;
    };
    const writers = [0, 1, 2].map(writer);
    await Promise.all([pruner(), ...writers]);
    console.log(`[prune concurrent] ${wants.size} snapshots committed, ${raced} backups stopped by the commit check`);
    const repo = await openRepo(t);
    expect((await checkRepository(repo, { readData: true })).problems).toEqual([]);
    const kept = await repo.listSnapshots();
    expect(kept.length).toBeGreaterThanOrEqual(3);
    for (const s of kept) {
      const w = wants.get(s.id)!;
      const target = mkdtempSync(join(dir, "restore-"));
      await restoreSnapshot(repo, s.tree, target);
      expect(manifest(join(target, w.src)), `snapshot ${s.id} of ${s.host}`).toEqual(w.want);
    }
  }, 420_000);
});
