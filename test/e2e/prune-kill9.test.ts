/**
 * docs/RELIABILITY.md S5: kill -9 during `cairn prune` at seeded random
 * points (at least 10 kills, across both phases: each round makes new garbage,
 * and with --grace 0s every run both deletes the previous round's marks and
 * condemns and repacks anew). After each kill: check --read-data is clean and
 * every kept snapshot restores byte-identically. At the end, prunes run to
 * completion finish the job: no mark is left and nothing unused remains.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the data and the kill delays.
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkRepository } from "../../src/maintenance/check.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { forgetSnapshots } from "../../src/retention/forget.js";
import {
  listObjects,
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
  type TestRepo,
} from "./helpers/kill-harness.js";
import { runAndKill } from "./helpers/kill-process.js";

const KiB = 1024;
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function expectIntact(t: TestRepo, wants: Map<string, Manifest>, src: string): Promise<void> {
  const repo = await openRepo(t);
  const report = await checkRepository(repo, { readData: true });
  expect(report.problems).toEqual([]);
  const ids = new Set((await repo.listSnapshots()).map((s) => s.id));
  for (const [id, want] of wants) {
    if (!ids.has(id)) continue; // forgotten by the policy: its data may go
    const target = mkdtempSync(join(t.dir, "restore-"));
    await restoreSnapshot(repo, (await repo.findSnapshot(id)).tree, target);
    expect(manifest(join(target, src)), `snapshot ${id}`).toEqual(want);
  }
}

describe("S5: kill -9 during prune", () => {
  it("keeps the repository consistent at every kill, and the next prune finishes the job", async () => {
    const seed = testSeed("S5 prune kill -9");
    const r = rng(seed);
    const dir = tempDir("prune-kill9");
    dirs.push(dir);
    const t = await makeRepo(dir, { packSize: 64 * KiB, chunker: { min: 8 * KiB, avg: 16 * KiB, max: 64 * KiB } });
    const src = join(dir, "src");
    const wants = new Map<string, Manifest>();
    const prune = [...t.args, "--identity", t.identityFile, "--grace", "0s", "--max-unused", "10%", "--json"];
    let version = 0;
    const round = async () => {
      version++;
      const files: Record<string, Uint8Array> = {};
      for (let i = 0; i < 12; i++)
        files[`d${i % 3}/f${i}.bin`] = seededBytes(
          seed,
          `v${i % 4 === 0 ? version : 0}/${i}`,
          randInt(r, 20 * KiB, 90 * KiB),
        );
      removeDir(src);
      writeTree(src, files);
      // Backup and forget in-process (the CLI paths have their own tests): the kills are what this test is about.
      const { snapshotId } = await backupPaths(await openRepo(t, false), [src], { workers: 0 });
      wants.set(snapshotId, manifest(src));
      await forgetSnapshots(await openRepo(t, false), { last: 2 });
    };
    await round();
    await round();
    // How long a whole prune run takes here (process start included), to spread the kills over it.
    await round();
    const started = Date.now();
    const full = await runCli(["prune", ...prune]);
    expect(full.code, full.stderr).toBe(0);
    const span = Date.now() - started;
    let killed = 0;
    for (let k = 0; k < 24 && killed < 12; k++) {
      await round();
      const delay = randInt(r, Math.floor(span * 0.35), Math.floor(span * 0.95));
      const res = await runAndKill(["prune", ...prune], { kind: "delay", ms: delay, label: `prune +${delay}ms` });
      if (res.killed) killed++;
      else expect(res.code, res.stderr).toBe(0);
      await expectIntact(t, wants, src);
    }
    expect(killed, "kills that landed while prune ran").toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 2; i++) {
      const done = await runCli(["prune", ...prune]);
      expect(done.code, done.stderr).toBe(0);
    }
    expect(listObjects(t.repo, "prune/")).toEqual([]);
    const last = JSON.parse((await runCli(["prune", ...prune, "--dry-run"])).stdout) as {
      packsMarked: number;
      unusedBytesLeft: number;
    };
    expect(last.packsMarked).toBe(0);
    await expectIntact(t, wants, src);
  }, 240_000);
});
