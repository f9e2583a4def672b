/**
 * docs/RELIABILITY.md S4: SIGTERM at random points of a CLI backup. The process exits
 * within a few seconds with a non-zero status, records no snapshot, leaves a
 * clean repository, and the next run completes.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the schedule and the data.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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
} from "./helpers/kill-harness.js";
import { runAndKill, type KillTrigger } from "./helpers/kill-process.js";

const MiB = 1024 * 1024;
/** A SIGTERM'd backup stops between objects; it must be gone well within this. */
const GRACE_MS = 5_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe("S4: SIGTERM during a CLI backup", () => {
  it("exits promptly and non-zero, records no snapshot, and the next run completes", async () => {
    const seed = testSeed("S4 SIGTERM");
    const r = rng(seed);
    const dir = tempDir("sigterm");
    dirs.push(dir);
    const t = await makeRepo(dir, {
      packSize: 512 * 1024,
      chunker: { min: 32 * 1024, avg: 128 * 1024, max: 512 * 1024 },
    });
    const src = join(dir, "src");
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 20; i++) files[`text/t${i}.txt`] = seededText(seed, `t${i}`, 20_000);
    writeTree(src, files);
    const first = await runCli(["backup", ...t.args, "--json", src]);
    expect(
      first.code,
      first.stderr +
        first.stdout
          .split("\n")
          .filter((l) => !l.includes('"progress"'))
          .join("\n"),
    ).toBe(0);
    const good = [jsonLines(first.stdout).find((l) => l.type === "summary")!.snapshot as string];

    const count = (p: string) => listObjects(t.repo, p).length;
    const points: ((dataBefore: number) => KillTrigger)[] = [
      () => ({ kind: "progress", when: (l) => l.type === "progress", label: "first progress line" }),
      () => ({
        kind: "progress",
        when: (l) => l.type === "progress" && (l.bytesUploaded as number) > 0,
        label: "first progress line with bytesUploaded > 0",
      }),
      (before) => ({ kind: "poll", when: () => count("data/") > before, label: "first new data pack on disk" }),
      (before) => ({ kind: "poll", when: () => count("data/") >= before + 3, label: "third new data pack on disk" }),
      ...[0, 1].map(() => {
        const ms = randInt(r, 20, 300);
        return () => ({
          kind: "progress" as const,
          when: (l: Record<string, unknown>) => l.type === "progress",
          afterMs: ms,
          label: `${ms} ms after the first progress line`,
        });
      }),
      (() => {
        const ms = randInt(r, 50, 500);
        return () => ({ kind: "delay" as const, ms, label: `after ${ms} ms (maybe before the handler is installed)` });
      })(),
    ];
    let interrupted = 0;
    for (const [round, point] of points.entries()) {
      rmSync(join(src, "fresh"), { recursive: true, force: true });
      writeTree(src, { [`fresh/f${round}.bin`]: seededBytes(seed, `fresh${round}`, 16 * MiB) });
      const trigger = point(count("data/"));
      const k = await runAndKill(["backup", ...t.args, "--json", src], trigger, "SIGTERM");
      const snaps = (await (await openRepo(t, false)).listSnapshots()).map((s) => s.id);
      console.log(
        `round ${round}: ${trigger.label}: ${k.killed ? `SIGTERM at ${k.killedAtMs} ms, exited ${k.exitAfterKillMs} ms later` : "finished first"}, exit ${k.code ?? k.signal}: ${k.stderr.trim().split("\n").at(-1) ?? ""}`,
      );
      if (!k.killed || k.code === 0) {
        // It committed before the signal could stop it: a whole snapshot, exit 0.
        expect(k.code).toBe(0);
        good.push(jsonLines(k.stdout).find((l) => l.type === "summary")!.snapshot as string);
      } else {
        interrupted++;
        expect(k.exitAfterKillMs!, "exits within the grace period").toBeLessThan(GRACE_MS);
        // Exit 1 after an orderly stop; killed by the signal only if it came before the handler was installed.
        expect(k.code === 1 || k.signal === "SIGTERM", `exit ${k.code} ${k.signal}`).toBe(true);
        if (k.code === 1) expect(k.stderr).toMatch(/SIGTERM: stopping; no snapshot will be recorded|interrupted/);
        expect(
          jsonLines(k.stdout).some((l) => l.type === "summary"),
          "no summary for an interrupted run",
        ).toBe(false);
      }
      expect(snaps, "no half snapshot").toEqual(good);
      const chk = await runCli(["check", ...t.args]);
      expect(chk.code, chk.stdout + chk.stderr).toBe(0);
      const next = await runCli(["backup", ...t.args, "--json", src]);
      expect(
        next.code,
        next.stderr +
          next.stdout
            .split("\n")
            .filter((l) => !l.includes('"progress"'))
            .join("\n"),
      ).toBe(0);
      const id = jsonLines(next.stdout).find((l) => l.type === "summary")!.snapshot as string;
      good.push(id);
      const reader = await openRepo(t);
      const snap = (await reader.listSnapshots()).find((s) => s.id === id)!;
      const target = join(dir, `restore-${round}`);
      expect((await restoreSnapshot(reader, snap.tree as BlobId, target)).errors).toEqual([]);
      expect(manifest(join(target, src))).toEqual(manifest(src));
      rmSync(target, { recursive: true, force: true });
    }
    console.log(`S4: ${interrupted} of ${points.length} runs interrupted`);
    // Timing-based points may lose the race on a fast machine; most must land.
    expect(interrupted).toBeGreaterThanOrEqual(4);
  }, 180_000);
});
