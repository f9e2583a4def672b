import type { CalendarSpan } from "./duration.js";

/**
 * Calendar arithmetic on a snapshot's local wall clock, the way restic (Go's
 * time package) does it: a snapshot's time is an instant plus the UTC offset
 * of the host that took it, and hourly/daily/weekly/monthly/yearly buckets are
 * read off that wall clock, not off UTC.
 */
export interface LocalTime {
  /** Milliseconds since the epoch. */
  ms: number;
  /** Minutes east of UTC at that instant on the recording host. */
  offsetMinutes: number;
}

/** Minutes east of UTC of some time zone at an instant; the default is this process's zone (TZ). */
export type ZoneOffsetAt = (ms: number) => number;

export const processZone: ZoneOffsetAt = (ms) => {
  const off = -new Date(ms).getTimezoneOffset();
  return off === 0 ? 0 : off; // never -0: offsets are compared with ===
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface WallFields {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
}

export function wallFields(t: LocalTime): WallFields {
  const d = new Date(t.ms + t.offsetMinutes * MINUTE);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours() };
}

/** ISO 8601 week-numbering year and week (Monday first; week 1 holds the year's first Thursday). */
export function isoWeek(f: WallFields): { year: number; week: number } {
  const date = Date.UTC(f.year, f.month - 1, f.day);
  const dow = (new Date(date).getUTCDay() + 6) % 7; // Monday 0 .. Sunday 6
  const thursday = new Date(date + (3 - dow) * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return { year, week };
}

/**
 * `t` minus a calendar span: years, months and days step back on the wall
 * clock (with Go's normalisation: 31 March minus one month is 3 March), then
 * the hours are subtracted exactly. When the offset is the one `zone` uses at
 * that instant, the wall clock is turned back into an instant with `zone`'s
 * rules (daylight saving applies), as Go does for times in its Local zone;
 * otherwise the offset stays fixed.
 */
export function subtractSpan(t: LocalTime, span: CalendarSpan, zone: ZoneOffsetAt = processZone): number {
  const wall = new Date(t.ms + t.offsetMinutes * MINUTE);
  const back = Date.UTC(
    wall.getUTCFullYear() - span.years,
    wall.getUTCMonth() - span.months,
    wall.getUTCDate() - span.days,
    wall.getUTCHours(),
    wall.getUTCMinutes(),
    wall.getUTCSeconds(),
    wall.getUTCMilliseconds(),
  );
  const instant = zone(t.ms) === t.offsetMinutes ? wallToInstant(back, zone) : back - t.offsetMinutes * MINUTE;
  return instant - span.hours * HOUR;
}

/** A wall-clock time (as if UTC) to an instant in `zone`: Go's time.Date lookup, including its choice in DST gaps and overlaps. */
function wallToInstant(wallAsUtc: number, zone: ZoneOffsetAt): number {
  let offset = zone(wallAsUtc);
  const guess = wallAsUtc - offset * MINUTE;
  const actual = zone(guess);
  if (actual !== offset) offset = actual;
  return wallAsUtc - offset * MINUTE;
}
