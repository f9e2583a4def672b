/**
 * `cairn forget` end to end: snapshots made with `cairn backup --time` in a
 * zone with daylight saving, the same timeline in restic (`restic backup
 * --time`), the same policies through both CLIs. cairn follows restic 0.15+
 * (it also keeps a group's oldest snapshot while a count is left); the
 * installed restic is 0.14, so cairn must keep exactly what restic keeps, plus
 * at most each group's oldest snapshot, and only when a count was left.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";
import { numericTestSeed } from "../helpers/prng.js";
import {
  restic,
  resticAvailable,
  resticForget,
  resticInit,
  resticSnapshots,
  type ResticRepo,
} from "../retention/restic-cli.js";
import { randomTimeline, uniform, type PlannedSnapshot } from "../retention/timeline.js";
import { wallString, zoneFor } from "../retention/zone.js";

const TZ = "Europe/Berlin";
const hasRestic = await resticAvailable();
if (!hasRestic && process.env.CI)
  throw new Error("restic is not installed: .ci/run installs it (apt-get install restic)");

interface ForgetJson {
  groups: {
    key: unknown;
    keep: { id: string; time: string; reasons: string[] }[];
    remove: { id: string; time: string }[];
  }[];
  kept: number;
  removed: number;
  dryRun: boolean;
}

let ws: Workspace;
let timeline: PlannedSnapshot[];
let rrepo: ResticRepo;

beforeAll(async () => {
  ws = await initWorkspace("forget");
  for (const d of ["a", "b"]) {
    mkdirSync(join(ws.src, d));
    writeFileSync(join(ws.src, d, "f"), d);
  }
  timeline = randomTimeline(uniform(numericTestSeed("cli forget")), 10, zoneFor(TZ));
  const cairnSide = async () => {
    for (const s of timeline) {
      await cliOk(
        [
          "backup",
          ...repoFlags(ws),
          "--host",
          s.host,
          ...s.tags.flatMap((t) => ["--tag", t]),
          "--time",
          new Date(s.ms).toISOString(),
          join(ws.src, s.dir),
        ],
        { env: { TZ } },
      );
    }
  };
  const resticSide = async () => {
    if (!hasRestic) return;
    rrepo = await resticInit(ws.dir, TZ);
    for (const s of timeline)
      await restic(rrepo, [
        "backup",
        "-q",
        "--host",
        s.host,
        ...s.tags.flatMap((t) => ["--tag", t]),
        "--time",
        wallString(s.ms, zoneFor(TZ)),
        join(ws.src, s.dir),
      ]);
  };
  await Promise.all([cairnSide(), resticSide()]);
}, 120_000);
afterAll(() => ws?.cleanup());

async function cairnForget(flags: string[]): Promise<ForgetJson> {
  const r = await cliOk(["forget", ...repoFlags(ws), "--json", ...flags], { env: { TZ } });
  return JSON.parse(r.stdout) as ForgetJson;
}

describe("cairn forget", () => {
  it.skipIf(!hasRestic).each([
    ["--keep-daily", "3", "--keep-weekly", "2"],
    ["--keep-last", "2", "--keep-monthly", "3", "--group-by", "host"],
    ["--keep-within", "20d", "--keep-yearly", "1", "--group-by", ""],
    ["--keep-tag", "release", "--keep-hourly", "4"],
  ])("keeps what restic keeps for %s %s %s %s (plus the 0.15+ oldest rule)", async (...flags: string[]) => {
    const theirs = await resticForget(rrepo, flags);
    const timeOf = new Map((await resticSnapshots(rrepo)).map((s) => [s.id, Date.parse(s.time)]));
    const resticKept = new Map(
      [...theirs].filter(([, v]) => v !== "remove").map(([id, v]) => [timeOf.get(id)!, v as string[]]),
    );
    const ours = await cairnForget([...flags, "--dry-run"]);
    expect(ours.kept + ours.removed).toBe(timeline.length);
    for (const g of ours.groups) {
      const oldest = Math.min(...[...g.keep, ...g.remove].map((s) => Date.parse(s.time)));
      for (const k of g.keep) {
        const t = Date.parse(k.time);
        const r = resticKept.get(t);
        if (r && t === oldest) {
          // The 0.15+ rule may add bucket reasons to the group's oldest snapshot, never remove restic's.
          expect(k.reasons, `reasons of ${k.time}`).toEqual(expect.arrayContaining(r));
          expect(
            k.reasons.filter((x) => !r.includes(x)).every((x) => x.endsWith(" snapshot")),
            `extra reasons of ${k.time}`,
          ).toBe(true);
        } else if (r) expect(k.reasons, `reasons of ${k.time}`).toEqual(r);
        else {
          // Only the 0.15+ rule may add a snapshot: the group's oldest, kept by a count bucket.
          expect(t, `${k.time} kept by cairn but not by restic`).toBe(oldest);
          expect(k.reasons.every((x) => x.endsWith(" snapshot"))).toBe(true);
        }
      }
      for (const s of g.remove)
        expect(resticKept.has(Date.parse(s.time)), `${s.time} removed by cairn, kept by restic`).toBe(false);
    }
  });

  it("refuses to run without any keep-* option", async () => {
    const r = await runCli(["forget", ...repoFlags(ws)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no keep-\* option/);
  });

  it("deletes the removed snapshot records, only for the hosts asked, and leaves the rest", async () => {
    const before = JSON.parse((await cliOk(["snapshots", ...repoFlags(ws), "--json"])).stdout) as {
      id: string;
      host: string;
    }[];
    const alpha = before.filter((s) => s.host === "alpha");
    const r = await cairnForget(["--keep-last", "1", "--host", "alpha", "--group-by", "host"]);
    expect(r.dryRun).toBe(false);
    expect(r.removed).toBe(alpha.length - 1);
    const after = JSON.parse((await cliOk(["snapshots", ...repoFlags(ws), "--json"])).stdout) as {
      id: string;
      host: string;
    }[];
    expect(after.filter((s) => s.host === "alpha")).toHaveLength(1);
    expect(after.filter((s) => s.host !== "alpha")).toEqual(before.filter((s) => s.host !== "alpha"));
  });
});
