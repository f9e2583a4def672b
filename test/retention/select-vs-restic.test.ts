/**
 * The policy engine against the real restic 0.14 binary (docs/RELIABILITY.md
 * S25): random timelines go into restic with `backup --time` (wall clock in a
 * zone with daylight saving), random policies run through
 * `restic forget --dry-run --json`, and the same snapshots (restic's own ids
 * and recorded times) through selectSnapshots. Kept sets and reasons must be
 * identical. restic 0.14 predates the "keep the oldest while counts are left"
 * rule of 0.15+, so the engine runs with that rule off here; the rule itself
 * is pinned in select-snapshots.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { numericTestSeed } from "../helpers/prng.js";
import { groupSnapshots, parseGroupBy } from "../../src/retention/group-snapshots.js";
import { selectSnapshots } from "../../src/retention/select-snapshots.js";
import { forgetCommand, policyFromOptions } from "../../src/cli/commands/forget.js";
import {
  offsetOf,
  restic,
  resticAvailable,
  resticForget,
  resticInit,
  resticSnapshots,
  type ResticRepo,
} from "./restic-cli.js";
import { randomPolicyFlags, randomTimeline, uniform } from "./timeline.js";
import { wallString, zoneFor } from "./zone.js";

const hasRestic = await resticAvailable();
if (!hasRestic && process.env.CI)
  throw new Error("restic is not installed: .ci/run installs it (apt-get install restic)");

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Parse `--keep-* ... --group-by G` with the real forget command's options, so the flags mean the same to both tools. */
function parseFlags(flags: string[]): { policy: ReturnType<typeof policyFromOptions>; groupBy: string } {
  const cmd = forgetCommand().exitOverride();
  cmd.action(() => undefined);
  cmd.parse(flags, { from: "user" });
  const o = cmd.opts() as Parameters<typeof policyFromOptions>[0] & { groupBy: string };
  return { policy: policyFromOptions(o), groupBy: o.groupBy };
}

async function resticTimeline(seed: number, tz: string, n: number): Promise<ResticRepo> {
  const dir = mkdtempSync(join(tmpdir(), "cairn-restic-"));
  dirs.push(dir);
  const zone = zoneFor(tz);
  for (const d of ["a", "b"]) {
    mkdirSync(join(dir, d));
    writeFileSync(join(dir, d, "f"), d);
  }
  const repo = await resticInit(dir, tz);
  for (const s of randomTimeline(uniform(seed), n, zone)) {
    await restic(repo, [
      "backup",
      "-q",
      "--host",
      s.host,
      ...s.tags.flatMap((t) => ["--tag", t]),
      "--time",
      wallString(s.ms, zone),
      join(dir, s.dir),
    ]);
  }
  return repo;
}

function engineDecisions(
  snaps: Awaited<ReturnType<typeof resticSnapshots>>,
  flags: string[],
  tz: string,
): Map<string, string[] | "remove"> {
  const { policy, groupBy } = parseFlags(flags);
  const view = snaps.map((s) => ({
    id: s.id,
    host: s.hostname,
    paths: s.paths,
    tags: s.tags ?? [],
    time: { ms: Date.parse(s.time), offsetMinutes: offsetOf(s.time) },
  }));
  const out = new Map<string, string[] | "remove">();
  for (const g of groupSnapshots(view, parseGroupBy(groupBy))) {
    const sel = selectSnapshots(g.snapshots, policy, { zone: zoneFor(tz), keepOldestWhenUnfilled: false });
    for (const k of sel.keep) out.set(k.snapshot.id, k.reasons);
    for (const s of sel.remove) out.set(s.id, "remove");
  }
  return out;
}

describe.skipIf(!hasRestic)("retention policy vs restic 0.14", () => {
  it.concurrent.each([
    ["Europe/Berlin", 0],
    ["America/New_York", 1],
  ])(
    "keeps the same snapshots, for the same reasons, over random policies (%s)",
    async (tz, salt) => {
      const seed = (numericTestSeed(`retention vs restic ${tz}`) + salt) >>> 0;
      const repo = await resticTimeline(seed, tz, 28);
      const snaps = await resticSnapshots(repo);
      expect(snaps).toHaveLength(28);
      const r = uniform(seed ^ 0x5eed);
      for (let i = 0; i < 10; i++) {
        const flags = randomPolicyFlags(r);
        const expected = await resticForget(repo, flags);
        const actual = engineDecisions(snaps, flags, tz);
        expect(Object.fromEntries(actual), `policy ${flags.join(" ")} (seed ${seed})`).toEqual(
          Object.fromEntries(expected),
        );
      }
    },
    120_000,
  );
});
