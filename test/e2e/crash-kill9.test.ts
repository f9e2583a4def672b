/**
 * docs/RELIABILITY.md S1: kill -9 at many points of a CLI backup to a local
 * repository. After each kill: `check` is clean (temp files left by the kill
 * are not objects), no snapshot of the killed run is listed, earlier
 * snapshots restore byte-identically, and the next backup completes and
 * reuses every pack indexed before the kill.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the kill schedule and the data.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openIndex } from "../../src/repository/format/index-file.js";
import type { BlobId } from "../../src/core/ids.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import {
  jsonLines,
  listObjects,
  makeRepo,
  manifest,
  openRepo,
  randInt,
  removeDir,
  rng,
  runCli,
  seededBytes,
  seededText,
  tempDir,
  testSeed,
  writeTree,
  type Manifest,
} from "./helpers/kill-harness.js";
import { runAndKill, type KillTrigger } from "./helpers/kill-process.js";

const MiB = 1024 * 1024;
// Packs of 512 KiB and chunks of about 128 KiB: a round's new data fills
// about a dozen packs, so an index file is written mid-run (every 8 packs).
const PACK_SIZE = 512 * 1024;
const CHUNKER = { min: 32 * 1024, avg: 128 * 1024, max: 512 * 1024 };
const FRESH = 5 * MiB;
const TEXT_FILES = 30;

interface Good {
  id: string;
  want: Manifest;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe("S1: kill -9 during a CLI backup (local repository)", () => {
  it("leaves a clean repository after every kill; earlier snapshots restore; the retry reuses indexed packs", async () => {
    const seed = testSeed("S1 kill -9");
    const r = rng(seed);
    const dir = tempDir("kill9");
    dirs.push(dir);
    const t = await makeRepo(dir, { packSize: PACK_SIZE, chunker: CHUNKER });
    const src = join(dir, "src");
    const text: Record<string, Uint8Array> = {};
    for (let i = 0; i < TEXT_FILES; i++)
      text[`text/d${i % 6}/t${i}.txt`] = seededText(seed, `text${i}`, randInt(r, 4_000, 40_000));
    writeTree(src, { ...text, "base/base.bin": seededBytes(seed, "base", 3 * MiB) });

    const good: Good[] = [];
    const backup = async (extra: string[] = []) => {
      const res = await runCli(["backup", ...t.args, "--json", ...extra, src]);
      expect(
        res.code,
        res.stderr +
          res.stdout
            .split("\n")
            .filter((l) => !l.includes('"progress"'))
            .join("\n"),
      ).toBe(0);
      const summary = jsonLines(res.stdout).find((l) => l.type === "summary")!;
      good.push({ id: summary.snapshot as string, want: manifest(src) });
      return summary;
    };
    await backup();

    // The kill schedule: state-based points (from --json progress and from the
    // repository on disk) and seeded delays. `noCache` re-reads every file, so
    // the run spends time deduplicating before it reaches new data.
    type Point = { make: (before: { index: number; data: number }) => KillTrigger; noCache?: boolean };
    const count = (p: string) => listObjects(t.repo, p).length;
    const delay = (lo: number, hi: number, noCache = false): Point => {
      const ms = randInt(r, lo, hi);
      return { make: () => ({ kind: "delay", ms, label: `after ${ms} ms${noCache ? " (--no-cache)" : ""}` }), noCache };
    };
    const points: Point[] = [
      { make: () => ({ kind: "progress", when: (l) => l.type === "progress", label: "first progress line" }) },
      {
        make: () => ({
          kind: "progress",
          when: (l) => l.type === "progress" && (l.bytesUploaded as number) > 0,
          label: "first progress line with bytesUploaded > 0",
        }),
      },
      {
        make: () => ({
          kind: "progress",
          when: (l) => l.type === "progress" && (l.bytesUploaded as number) >= MiB,
          label: "bytesUploaded >= 1 MiB",
        }),
      },
      { make: (b) => ({ kind: "poll", when: () => count("data/") > b.data, label: "first new data pack on disk" }) },
      {
        make: (b) => ({
          kind: "poll",
          when: () => count("data/") >= b.data + 4,
          label: "fourth new data pack on disk",
        }),
      },
      { make: (b) => ({ kind: "poll", when: () => count("index/") > b.index, label: "first new index file on disk" }) },
      {
        make: (b) => ({
          kind: "poll",
          when: () => count("index/") > b.index,
          label: "first new index file on disk (--no-cache)",
        }),
        noCache: true,
      },
      delay(10, 80),
      delay(150, 350),
      delay(250, 500),
      delay(250, 600, true),
    ];
    // Seeded order: a kill's effect depends on what earlier rounds left behind.
    for (let i = points.length - 1; i > 0; i--) {
      const j = randInt(r, 0, i);
      [points[i], points[j]] = [points[j], points[i]];
    }

    let realKills = 0;
    let retriesAfterIndexedKill = 0;
    for (const [round, point] of points.entries()) {
      // New data for this round, and one changed text file.
      rmSync(join(src, "fresh"), { recursive: true, force: true });
      writeTree(src, { [`fresh/f${round}.bin`]: seededBytes(seed, `fresh${round}`, FRESH) });
      const changed = join(src, `text/d${round % 6}/t${round}.txt`);
      writeFileSync(changed, Buffer.concat([readFileSync(changed), seededText(seed, `append${round}`, 2000)]));
      const want = manifest(src);

      const before = { index: count("index/"), data: count("data/") };
      const indexBefore = new Set(listObjects(t.repo, "index/"));
      const trigger = point.make(before);
      const k = await runAndKill(
        ["backup", ...t.args, "--json", ...(point.noCache ? ["--no-cache"] : []), src],
        trigger,
        "SIGKILL",
      );
      const snaps = await (await openRepo(t, false)).listSnapshots();
      const known = new Set(good.map((g) => g.id));
      const extra = snaps.filter((s) => !known.has(s.id));
      const newIndex = listObjects(t.repo, "index/").filter((key) => !indexBefore.has(key));
      const temps = listObjects(t.repo, "", true).filter((key) => key.split("/").pop()!.startsWith(".tmp-")).length;
      console.log(
        `round ${round}: ${trigger.label}: ${k.killed ? `killed at ${k.killedAtMs} ms` : "finished before the kill"}, exit ${k.code ?? k.signal}, ` +
          `${count("data/") - before.data} new data packs, ${newIndex.length} new index files, ${temps} temp files, ${extra.length} new snapshots`,
      );
      if (!k.killed || extra.length > 0) {
        // The run committed before the kill landed: its snapshot must be whole.
        expect(extra.length, "at most one snapshot per run").toBe(1);
        good.push({ id: extra[0].id, want });
      } else {
        realKills++;
        expect(k.signal).toBe("SIGKILL");
        expect(
          snaps.map((s) => s.id),
          "no snapshot from the killed run",
        ).toEqual(good.map((g) => g.id));
      }

      // check is clean, temp files included; --read-data with the identity on some rounds.
      const readData = round % 4 === 0;
      const chk = await runCli([
        "check",
        ...t.args,
        ...(readData ? ["--read-data", "--identity", t.identityFile] : []),
      ]);
      expect(chk.code, `check after round ${round}:\n${chk.stdout}${chk.stderr}`).toBe(0);
      expect(chk.stdout).toContain("no problems found");

      // Earlier snapshots still restore: a seeded one after each kill (every one at the end).
      const reader = await openRepo(t);
      const g = good[randInt(r, 0, good.length - 1)];
      await expectRestores(reader, (await reader.listSnapshots()).find((s) => s.id === g.id)!.tree, g.want, src, dir);

      // The retry completes and does not re-upload what the killed run indexed.
      let indexedRaw = 0;
      for (const key of newIndex) {
        for (const p of openIndex(t.agentKey, readFileSync(join(t.repo, key)), key).packs) {
          if (p.kind === "data") for (const b of p.blobs) indexedRaw += b[4];
        }
      }
      const s = await backup();
      if (newIndex.length > 0 && extra.length === 0) {
        retriesAfterIndexedKill++;
        expect(indexedRaw).toBeGreaterThan(0);
        // What this round changed is FRESH plus one text file; the retry adds at most that minus what was indexed (plus trees and skeletons).
        const upperBound = FRESH + 50_000 + 256 * 1024 - indexedRaw;
        expect(s.bytesAdded as number, `retry after "${trigger.label}" re-uploaded indexed data`).toBeLessThanOrEqual(
          upperBound,
        );
        expect(s.bytesStored as number).toBeLessThan(FRESH);
      }
    }
    console.log(
      `S1: ${realKills} of ${points.length} runs killed before their commit; ${retriesAfterIndexedKill} retries after a kill that left index files`,
    );
    expect(realKills).toBeGreaterThanOrEqual(7);
    expect(retriesAfterIndexedKill).toBeGreaterThanOrEqual(1);

    // At the end: exactly the good snapshots are listed, each restores, and read-data is clean.
    const list = await runCli(["snapshots", ...t.args, "--json"]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id).sort()).toEqual(good.map((g) => g.id).sort());
    const reader = await openRepo(t);
    const all = await reader.listSnapshots();
    for (const g of good) await expectRestores(reader, all.find((s) => s.id === g.id)!.tree, g.want, src, dir);
    const chk = await runCli(["check", ...t.args, "--read-data", "--identity", t.identityFile]);
    expect(chk.code, chk.stdout + chk.stderr).toBe(0);
  }, 240_000);
});

let restores = 0;
async function expectRestores(
  reader: Awaited<ReturnType<typeof openRepo>>,
  tree: string,
  want: Manifest,
  src: string,
  dir: string,
): Promise<void> {
  const target = join(dir, `restore-${restores++}`);
  mkdirSync(target);
  const res = await restoreSnapshot(reader, tree as BlobId, target);
  expect(res.errors).toEqual([]);
  expect(manifest(join(target, src))).toEqual(want);
  rmSync(target, { recursive: true, force: true });
}
