/**
 * Pins the policy engine's restic semantics case by case: bucketing on the
 * local wall clock (ISO weeks), overlapping options, -1 = unlimited, the
 * 0.15+ rule that keeps the oldest snapshot while counts are left,
 * keep-within measured from the newest snapshot, tag lists.
 */
import { describe, expect, it } from "vitest";
import { selectSnapshots, type PolicySnapshot } from "../../src/retention/select-snapshots.js";
import { isEmptyPolicy, validatePolicy, describePolicy } from "../../src/retention/policy.js";
import { parseCalendarSpan, parseExactDuration } from "../../src/retention/duration.js";
import { isoWeek, subtractSpan, wallFields } from "../../src/retention/wall-clock.js";
import { UsageError } from "../../src/core/errors.js";
import { zoneFor } from "./zone.js";

const utc = () => 0;
const NOW = Date.parse("2030-01-01T00:00:00Z");

function snap(iso: string, tags: string[] = [], offsetMinutes = 0): PolicySnapshot {
  return { id: iso, time: { ms: Date.parse(iso), offsetMinutes }, tags };
}

function kept(
  list: PolicySnapshot[],
  policy: Parameters<typeof selectSnapshots>[1],
  keepOldest = true,
): Record<string, string[]> {
  const sel = selectSnapshots(list, policy, { now: NOW, zone: utc, keepOldestWhenUnfilled: keepOldest });
  return Object.fromEntries(sel.keep.map((k) => [k.snapshot.id, k.reasons]));
}

const daily = [
  "2024-01-01T10:00:00Z",
  "2024-01-01T18:00:00Z",
  "2024-01-02T09:00:00Z",
  "2024-01-03T09:00:00Z",
  "2024-01-03T23:59:00Z",
].map((t) => snap(t));

describe("selectSnapshots", () => {
  it("keeps the newest snapshot of each of the n newest days", () => {
    expect(kept(daily, { daily: 2 })).toEqual({
      "2024-01-03T23:59:00Z": ["daily snapshot"],
      "2024-01-02T09:00:00Z": ["daily snapshot"],
    });
  });

  it("also keeps the oldest snapshot while a bucket has counts left (restic 0.15+), not with the rule off (0.14)", () => {
    expect(kept(daily, { daily: 5 })).toEqual({
      "2024-01-03T23:59:00Z": ["daily snapshot"],
      "2024-01-02T09:00:00Z": ["daily snapshot"],
      "2024-01-01T18:00:00Z": ["daily snapshot"],
      "2024-01-01T10:00:00Z": ["daily snapshot"],
    });
    expect(Object.keys(kept(daily, { daily: 5 }, false))).toHaveLength(3);
  });

  it("treats -1 as unlimited", () => {
    expect(Object.keys(kept(daily, { daily: -1 }, false))).toEqual([
      "2024-01-03T23:59:00Z",
      "2024-01-02T09:00:00Z",
      "2024-01-01T18:00:00Z",
    ]);
    expect(Object.keys(kept(daily, { last: -1 }))).toHaveLength(5);
  });

  it("lets options overlap: one snapshot can open a bucket of several and uses a count of each", () => {
    expect(kept(daily, { last: 1, daily: 2, monthly: 1 })).toEqual({
      "2024-01-03T23:59:00Z": ["last snapshot", "daily snapshot", "monthly snapshot"],
      "2024-01-02T09:00:00Z": ["daily snapshot"],
    });
  });

  it("buckets by the snapshot's local wall clock, not UTC", () => {
    // 23:30 UTC on the 1st is 00:30 on the 2nd at UTC+1: same day as 09:00 UTC on the 2nd there, not in UTC.
    const list = [
      snap("2024-01-01T23:30:00Z", [], 60),
      snap("2024-01-02T09:00:00Z", [], 60),
      snap("2024-01-01T20:00:00Z", [], 60),
    ];
    expect(Object.keys(kept(list, { daily: 3 }, false))).toEqual(["2024-01-02T09:00:00Z", "2024-01-01T20:00:00Z"]);
    const inUtc = list.map((s) => ({ ...s, time: { ...s.time, offsetMinutes: 0 } }));
    expect(Object.keys(kept(inUtc, { daily: 3 }, false))).toEqual(["2024-01-02T09:00:00Z", "2024-01-01T23:30:00Z"]);
  });

  it("uses ISO weeks: 2020-12-31 and 2021-01-03 are both in 2020-W53", () => {
    const list = [snap("2021-01-03T12:00:00Z"), snap("2020-12-31T12:00:00Z"), snap("2020-12-27T12:00:00Z")];
    expect(Object.keys(kept(list, { weekly: 5 }, false))).toEqual(["2021-01-03T12:00:00Z", "2020-12-27T12:00:00Z"]);
  });

  it("measures keep-within back from the newest snapshot, strictly after the cut", () => {
    const list = [
      snap("2024-03-10T00:00:00Z"),
      snap("2024-03-08T00:00:00Z"),
      snap("2024-03-08T00:00:01Z"),
      snap("2024-02-01T00:00:00Z"),
    ];
    expect(kept(list, { within: parseCalendarSpan("2d") })).toEqual({
      "2024-03-10T00:00:00Z": ["within 2d"],
      "2024-03-08T00:00:01Z": ["within 2d"],
    });
  });

  it("ignores snapshots in the future when finding the newest for keep-within", () => {
    const list = [snap("2035-01-01T00:00:00Z"), snap("2024-03-10T00:00:00Z"), snap("2024-03-09T00:00:00Z")];
    expect(Object.keys(kept(list, { within: parseCalendarSpan("12h") }))).toEqual([
      "2035-01-01T00:00:00Z",
      "2024-03-10T00:00:00Z",
    ]);
  });

  it("keeps snapshots carrying every tag of a kept tag list, without counting them", () => {
    const list = [
      snap("2024-01-05T00:00:00Z"),
      snap("2024-01-04T00:00:00Z", ["release", "x"]),
      snap("2024-01-03T00:00:00Z", ["release"]),
    ];
    expect(kept(list, { tags: [["release", "x"]], last: 1 })).toEqual({
      "2024-01-05T00:00:00Z": ["last snapshot"],
      "2024-01-04T00:00:00Z": ["has tags [release, x]"],
    });
  });

  it("keeps everything for an empty policy (restic's rule; forget itself refuses such a policy)", () => {
    expect(selectSnapshots(daily, {}).remove).toEqual([]);
    expect(isEmptyPolicy({ daily: 0, tags: [] })).toBe(true);
    expect(isEmptyPolicy({ tags: [["a"]] })).toBe(false);
  });

  it("rejects counts below -1 and empty tags", () => {
    expect(() => validatePolicy({ daily: -2 })).toThrow(UsageError);
    expect(() => validatePolicy({ tags: [[""]] })).toThrow(UsageError);
    expect(describePolicy({ daily: 7, monthly: -1, within: parseCalendarSpan("2d") })).toBe(
      "keep 7 daily, all monthly snapshots and all within 2d of the newest",
    );
  });
});

describe("durations and calendar arithmetic", () => {
  it("parses restic spans and exact durations, refusing anything else", () => {
    expect(parseCalendarSpan("1y2m3d4h")).toEqual({ years: 1, months: 2, days: 3, hours: 4 });
    expect(parseCalendarSpan("2d12h")).toEqual({ years: 0, months: 0, days: 2, hours: 12 });
    for (const bad of ["", "2", "2w", "d", "1.5d", "-1d"]) expect(() => parseCalendarSpan(bad)).toThrow(UsageError);
    expect(parseExactDuration("1h30m", "--grace")).toBe(5_400_000);
    expect(() => parseExactDuration("soon", "--grace")).toThrow(/--grace/);
  });

  it("steps months back like Go's AddDate (31 March - 1 month = 2 March in a leap year)", () => {
    const t = { ms: Date.parse("2024-03-31T12:00:00Z"), offsetMinutes: 0 };
    expect(new Date(subtractSpan(t, parseCalendarSpan("1m"), utc)).toISOString()).toBe("2024-03-02T12:00:00.000Z");
  });

  it("keeps the wall-clock hour across a daylight-saving change in the local zone", () => {
    const berlin = zoneFor("Europe/Berlin");
    const t = { ms: Date.parse("2024-03-31T10:00:00Z"), offsetMinutes: 120 }; // 12:00 CEST
    // One day back is 12:00 CET on 30 March = 11:00 UTC (a 23-hour day).
    expect(new Date(subtractSpan(t, parseCalendarSpan("1d"), berlin)).toISOString()).toBe("2024-03-30T11:00:00.000Z");
    // With an offset that is not the local zone's, the offset stays fixed (Go's FixedZone).
    expect(new Date(subtractSpan({ ...t, offsetMinutes: 180 }, parseCalendarSpan("1d"), berlin)).toISOString()).toBe(
      "2024-03-30T10:00:00.000Z",
    );
  });

  it("computes ISO weeks at year ends", () => {
    expect(isoWeek({ year: 2019, month: 12, day: 30, hour: 0 })).toEqual({ year: 2020, week: 1 });
    expect(isoWeek({ year: 2021, month: 1, day: 3, hour: 0 })).toEqual({ year: 2020, week: 53 });
    expect(isoWeek({ year: 2024, month: 6, day: 15, hour: 0 })).toEqual({ year: 2024, week: 24 });
    expect(wallFields({ ms: Date.parse("2024-01-01T23:30:00Z"), offsetMinutes: 90 })).toEqual({
      year: 2024,
      month: 1,
      day: 2,
      hour: 1,
    });
  });
});

import { retentionFromConfig } from "../../src/retention/policy-config.js";
import { ConfigError } from "../../src/core/errors.js";
import { readFileSync } from "node:fs";
import { parse } from "yaml";

describe("retention config", () => {
  it("reads the example config's retention block into the same policy the flags give", () => {
    const doc = parse(readFileSync(new URL("../../config/cairn.example.yaml", import.meta.url), "utf8")) as {
      jobs: { app: { retention: unknown } };
    };
    const { policy, groupBy } = retentionFromConfig(doc.jobs.app.retention, "jobs.app.retention");
    expect(policy).toMatchObject({
      last: 3,
      daily: 7,
      weekly: 4,
      monthly: 12,
      yearly: 3,
      within: { days: 2 },
      tags: [["release"]],
    });
    expect(groupBy).toEqual({ host: true, paths: true, tags: false });
  });

  it("names the path of a bad value and refuses a block that keeps nothing", () => {
    expect(() => retentionFromConfig({ "keep-daily": "seven" }, "jobs.x.retention")).toThrow(
      /jobs\.x\.retention\.keep-daily/,
    );
    expect(() => retentionFromConfig({ "keep-dayly": 7 }, "jobs.x.retention")).toThrow(ConfigError);
    expect(() => retentionFromConfig({}, "jobs.x.retention")).toThrow(/no keep-\* option/);
  });
});
