/**
 * docs/RELIABILITY.md S6-S7: three writers (separate processes, separate
 * hosts) back up changing data in a loop while `forget` + `prune` run again
 * and again (6 rounds in the suite, 20 in the soak; a grace period a little longer than a backup). No
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
/** A few rounds on every run of the suite, 20 in the soak (`npm run test:soak`); CAIRN_PRUNE_ROUNDS sets any number. */
const ROUNDS = Number(process.env.CAIRN_PRUNE_ROUNDS ?? (process.env.CAIRN_SOAK ? 20 : 6));
/** Longer than a backup here; shorter in the suite so that its few rounds delete packs too. */
const GRACE = process.env.CAIRN_SOAK ? "8s" : "3s";
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

// Small N in the suite, large N in the soak. The races it used to hit (a prune loading the index before
// listing snapshots, packs listed before index files, marks finished between a backup's listing and its
// read, a pack under two marks) are also replayed deterministically in test/maintenance/prune-races.test.ts.
describe("S6/S7: backups from three hosts while forget and prune run", () => {
  it("never loses a kept snapshot's data", async () => {
    const seed = testSeed("prune concurrent");
    const dir = tempDir("prune-concurrent");
    dirs.push(dir);
    const t = await makeRepo(dir, { packSize: 64 * KiB, chunker: { min: 8 * KiB, avg: 16 * KiB, max: 64 * KiB } });
    const wants = new Map<string, { want: Manifest; src: string }>();
    let stop = false;
    let raced = 0;
    let packsDeleted = 0;
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
          GRACE,
          "--max-unused",
          "40%",
          "--force",
          "--json",
        ]);
        expect(p.code, p.stderr).toBe(0);
        packsDeleted += Number((JSON.parse(p.stdout) as { packsDeleted?: number }).packsDeleted ?? 0);
        await new Promise((res) => setTimeout(res, randInt(r, 0, 400)));
      }
      stop = true;
    };
    const writers = [0, 1, 2].map(writer);
    await Promise.all([pruner(), ...writers]);
    console.log(
      `[prune concurrent] ${ROUNDS} rounds: ${wants.size} snapshots committed, ${raced} backups stopped by the commit check, ${packsDeleted} packs deleted`,
    );
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
