import { UsageError } from "../core/errors.js";
import { formatCalendarSpan, isZeroSpan, type CalendarSpan } from "./duration.js";

/**
 * A retention policy with restic `forget` semantics (docs/CONFIG.md §`retention:`). Counts: 0 or absent = off, n > 0 = keep the newest snapshot of each
 * of the n newest buckets, -1 = keep the newest of every bucket. Spans are
 * measured back from the newest snapshot of the group (not from now).
 */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: CalendarSpan;
  withinHourly?: CalendarSpan;
  withinDaily?: CalendarSpan;
  withinWeekly?: CalendarSpan;
  withinMonthly?: CalendarSpan;
  withinYearly?: CalendarSpan;
  /** Keep every snapshot carrying all tags of at least one of these lists. */
  tags?: string[][];
}

export const COUNT_KEYS = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;
export const SPAN_KEYS = [
  "within",
  "withinHourly",
  "withinDaily",
  "withinWeekly",
  "withinMonthly",
  "withinYearly",
] as const;
export type CountKey = (typeof COUNT_KEYS)[number];

/** True when the policy says nothing: restic then keeps everything; cairn's forget refuses to run. */
export function isEmptyPolicy(p: RetentionPolicy): boolean {
  if ((p.tags?.length ?? 0) > 0) return false;
  return COUNT_KEYS.every((k) => (p[k] ?? 0) === 0) && SPAN_KEYS.every((k) => p[k] === undefined || isZeroSpan(p[k]));
}

/** Counts must be whole numbers, at least -1 (unlimited). */
export function validatePolicy(p: RetentionPolicy): void {
  for (const k of COUNT_KEYS) {
    const n = p[k];
    if (n !== undefined && (!Number.isInteger(n) || n < -1)) {
      throw new UsageError(`keep-${k} must be a whole number, or -1 for unlimited; got ${n}`);
    }
  }
  for (const list of p.tags ?? []) {
    if (list.length === 0 || list.some((t) => t === ""))
      throw new UsageError("keep-tag needs at least one non-empty tag", {
        hint: "e.g. --keep-tag release or --keep-tag a,b (both tags)",
      });
  }
}

/** A one-line description, e.g. `keep 3 last, 7 daily, all monthly snapshots and all within 2d of the newest`. */
export function describePolicy(p: RetentionPolicy): string {
  const counts = COUNT_KEYS.filter((k) => (p[k] ?? 0) !== 0).map((k) => `${p[k] === -1 ? "all" : p[k]} ${k}`);
  const parts = counts.length > 0 ? [`${counts.join(", ")} snapshots`] : [];
  for (const k of SPAN_KEYS.slice(1)) {
    const s = p[k];
    if (s && !isZeroSpan(s)) parts.push(`${k.slice(6).toLowerCase()} snapshots within ${formatCalendarSpan(s)}`);
  }
  if (p.tags?.length) parts.push(`all snapshots tagged ${p.tags.map((l) => l.join("+")).join(" or ")}`);
  if (p.within && !isZeroSpan(p.within)) parts.push(`all within ${formatCalendarSpan(p.within)} of the newest`);
  return `keep ${parts.join(" and ")}`;
}
