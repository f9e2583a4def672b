import { compareSnapshots } from "../repository/format/snapshot-order.js";
import { formatCalendarSpan, isZeroSpan, type CalendarSpan } from "./duration.js";
import { COUNT_KEYS, isEmptyPolicy, type RetentionPolicy } from "./policy.js";
import { isoWeek, processZone, subtractSpan, wallFields, type LocalTime, type ZoneOffsetAt } from "./wall-clock.js";

/** What the policy needs of a snapshot. */
export interface PolicySnapshot {
  id: string;
  time: LocalTime;
  tags: readonly string[];
}

export interface KeptSnapshot<T> {
  snapshot: T;
  /** Why it is kept, in restic's words: `last snapshot`, `daily snapshot`, `within 2d`, `has tags [release]`... */
  reasons: string[];
}

export interface Selection<T> {
  /** Newest first. */
  keep: KeptSnapshot<T>[];
  /** Newest first. */
  remove: T[];
}

export interface SelectOptions {
  /** Snapshots after this instant are ignored when finding the newest one for keep-within (restic: not in the future). */
  now?: number;
  /** The zone of this process, for calendar steps across daylight-saving changes (Go's Local). */
  zone?: ZoneOffsetAt;
  /**
   * restic 0.15+ also keeps the oldest snapshot while a bucket still has
   * counts left (the longest history); restic 0.14 did not. Default true.
   */
  keepOldestWhenUnfilled?: boolean;
}

type Bucketer = (t: LocalTime, nr: number) => number;

const byHour: Bucketer = (t) => {
  const f = wallFields(t);
  return ((f.year * 100 + f.month) * 100 + f.day) * 100 + f.hour;
};
const byDay: Bucketer = (t) => {
  const f = wallFields(t);
  return (f.year * 100 + f.month) * 100 + f.day;
};
const byWeek: Bucketer = (t) => {
  const w = isoWeek(wallFields(t));
  return w.year * 100 + w.week;
};
const byMonth: Bucketer = (t) => {
  const f = wallFields(t);
  return f.year * 100 + f.month;
};
const byYear: Bucketer = (t) => wallFields(t).year;
const each: Bucketer = (_t, nr) => nr;

const COUNT_BUCKETERS: Record<(typeof COUNT_KEYS)[number], [Bucketer, string]> = {
  last: [each, "last snapshot"],
  hourly: [byHour, "hourly snapshot"],
  daily: [byDay, "daily snapshot"],
  weekly: [byWeek, "weekly snapshot"],
  monthly: [byMonth, "monthly snapshot"],
  yearly: [byYear, "yearly snapshot"],
};

const WITHIN_BUCKETERS = [
  ["withinHourly", byHour, "hourly within"],
  ["withinDaily", byDay, "daily within"],
  ["withinWeekly", byWeek, "weekly within"],
  ["withinMonthly", byMonth, "monthly within"],
  ["withinYearly", byYear, "yearly within"],
] as const;

interface CountBucket {
  left: number;
  last: number;
  bucket: Bucketer;
  reason: string;
}
interface SpanBucket {
  cutoff: number;
  last: number;
  bucket: Bucketer;
  reason: string;
}

/**
 * Apply a retention policy to one group of snapshots (restic's forget rules).
 * Newest first, each snapshot is kept when it carries a kept tag list, lies
 * within `within` of the newest snapshot, or opens a new bucket
 * (hour/day/ISO week/month/year of its local time, or simply the next one for
 * `last`) of a keep-* option that still has count left; a kept snapshot uses
 * up one count of every option it opened a bucket for, so options overlap.
 * Pure: no I/O, no clock unless `now` is omitted.
 */
export function selectSnapshots<T extends PolicySnapshot>(
  snapshots: readonly T[],
  policy: RetentionPolicy,
  o: SelectOptions = {},
): Selection<T> {
  // Newest first: the listing's order (repository/format/snapshot-order.ts) backwards, so retention's newest is `latest`.
  const list = [...snapshots].sort((a, b) =>
    compareSnapshots({ id: b.id, ms: b.time.ms }, { id: a.id, ms: a.time.ms }),
  );
  if (isEmptyPolicy(policy))
    return { keep: list.map((snapshot) => ({ snapshot, reasons: ["policy is empty"] })), remove: [] };
  if (list.length === 0) return { keep: [], remove: [] };
  const zone = o.zone ?? processZone;
  const latest = newestNotAfter(list, o.now ?? Date.now());
  const cutoff = (span: CalendarSpan) => (latest ? subtractSpan(latest, span, zone) : -Infinity);
  const counts: CountBucket[] = COUNT_KEYS.filter((k) => (policy[k] ?? 0) > 0 || policy[k] === -1).map((k) => ({
    left: policy[k]!,
    last: -1,
    bucket: COUNT_BUCKETERS[k][0],
    reason: COUNT_BUCKETERS[k][1],
  }));
  const spans: SpanBucket[] = WITHIN_BUCKETERS.filter(([k]) => hasSpan(policy[k])).map(([k, bucket, reason]) => ({
    cutoff: cutoff(policy[k]!),
    last: -1,
    bucket,
    reason: `${reason} ${formatCalendarSpan(policy[k]!)}`,
  }));
  const withinCutoff = hasSpan(policy.within) ? cutoff(policy.within!) : undefined;
  const keepOldest = o.keepOldestWhenUnfilled ?? true;
  const out: Selection<T> = { keep: [], remove: [] };
  list.forEach((cur, nr) => {
    const reasons: string[] = [];
    for (const tags of policy.tags ?? [])
      if (tags.every((t) => cur.tags.includes(t))) reasons.push(`has tags [${tags.join(", ")}]`);
    if (withinCutoff !== undefined && cur.time.ms > withinCutoff)
      reasons.push(`within ${formatCalendarSpan(policy.within!)}`);
    const oldest = keepOldest && nr === list.length - 1;
    for (const b of counts) {
      if (b.left === 0) continue;
      const v = b.bucket(cur.time, nr);
      if (v === b.last && !oldest) continue;
      b.last = v;
      if (b.left > 0) b.left--;
      reasons.push(b.reason);
    }
    for (const b of spans) {
      if (cur.time.ms <= b.cutoff) continue;
      const v = b.bucket(cur.time, nr);
      if (v === b.last) continue;
      b.last = v;
      reasons.push(b.reason);
    }
    if (reasons.length > 0) out.keep.push({ snapshot: cur, reasons });
    else out.remove.push(cur);
  });
  return out;
}

function hasSpan(s: CalendarSpan | undefined): boolean {
  return s !== undefined && !isZeroSpan(s);
}

/** The newest snapshot not in the future; none when all are (restic then measures from the zero time, so every span covers everything). */
function newestNotAfter<T extends PolicySnapshot>(list: readonly T[], now: number): LocalTime | undefined {
  return list.find((s) => s.time.ms < now)?.time;
}
