import { lstatSync, mkdirSync, readdirSync, utimesSync, writeFileSync, type BigIntStats } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listingWritesNothing } from "../../src/pipeline/walk.js";
import { useWorkDir } from "./helpers/repo.js";

const work = useWorkDir("walk");
const S = 1_000_000_000n;

function stat(atime: bigint, mtime: bigint, ctime: bigint): BigIntStats {
  return { atimeNs: atime, mtimeNs: mtime, ctimeNs: ctime } as BigIntStats;
}

describe("listingWritesNothing (when the walk may list a directory synchronously)", () => {
  const now = 1_800_000_000_000; // ms
  const nowNs = BigInt(now) * 1_000_000n;

  it("is true only for an atime newer than mtime and ctime and less than a day old", () => {
    expect(listingWritesNothing(stat(nowNs - 60n * S, nowNs - 3600n * S, nowNs - 3600n * S), now)).toBe(true);
    // relatime writes the atime when it is not newer than mtime or ctime: a directory changed since it was last listed
    expect(listingWritesNothing(stat(nowNs - 60n * S, nowNs - 60n * S, nowNs - 3600n * S), now)).toBe(false);
    expect(listingWritesNothing(stat(nowNs - 60n * S, nowNs - 3600n * S, nowNs - 30n * S), now)).toBe(false);
    // ... and when it is a day old (a margin of an hour for clock steps)
    expect(
      listingWritesNothing(stat(nowNs - 23n * 3600n * S, nowNs - 48n * 3600n * S, nowNs - 48n * 3600n * S), now),
    ).toBe(false);
    expect(listingWritesNothing(undefined, now)).toBe(false);
  });

  it("matches what this file system does: a directory it says yes to keeps its atime when listed", () => {
    const dir = join(work(), "d");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "f"), "x");
    const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    utimesSync(dir, old, old);
    const before = lstatSync(dir, { bigint: true });
    expect(listingWritesNothing(before, Date.now())).toBe(false);
    readdirSync(dir);
    const listed = lstatSync(dir, { bigint: true });
    if (listed.atimeNs === before.atimeNs) return; // a noatime mount: listings never write, nothing to check
    expect(listingWritesNothing(listed, Date.now())).toBe(true);
    readdirSync(dir);
    expect(lstatSync(dir, { bigint: true }).atimeNs).toBe(listed.atimeNs);
  });
});
