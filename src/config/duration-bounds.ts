import type { ConfigProblem } from "../core/errors.js";
import type { CalendarSpan } from "../retention/duration.js";
import { parseExactDuration } from "../retention/duration.js";

/** How long a duration key may be, and why. */
export interface DurationBound {
  ms: number;
  /** The bound as the config would write it. */
  shown: string;
  why: string;
}

const DAY = 86_400_000;

/**
 * Keys that become a timer's delay (setTimeout, AbortSignal.timeout): Node.js
 * holds at most 2^31-1 ms in one and fires a longer delay after 1 ms, so
 * `grace_period: 100000000000000d` would stop the agent at once.
 */
export const TIMER: DurationBound = {
  ms: 2 ** 31 - 1,
  shown: "24d20h31m23s",
  why: "the longest a timer can wait (2^31-1 ms)",
};

/** Keys that move a date (ages, grace periods, locks, retention spans): far beyond a backup's life, far inside a Date. */
export const SPAN: DurationBound = { ms: 1000 * 365 * DAY, shown: "365000d (1000y)", why: "cairn's limit for spans" };

/** A duration key in milliseconds, or a problem at `path` when it does not parse or exceeds `bound` (then 0). */
export function boundedDuration(text: string, path: string, bound: DurationBound, problems: ConfigProblem[]): number {
  let ms: number;
  try {
    ms = parseExactDuration(text, path);
  } catch {
    problems.push({ path, message: `expected a duration such as 30s, 5m, 1h30m` });
    return 0;
  }
  return withinBound(ms, text, path, bound, problems) ? ms : 0;
}

/** True when `ms` (what `text` at `path` says) is within `bound`; otherwise records the problem. */
export function withinBound(
  ms: number,
  text: string,
  path: string,
  bound: DurationBound,
  problems: ConfigProblem[],
): boolean {
  if (ms <= bound.ms) return true;
  problems.push({ path, message: `${text} is longer than ${bound.shown}, ${bound.why}` });
  return false;
}

/** A calendar span's length at its longest (a year of 366 days, a month of 31), for the SPAN bound. */
export function spanMs(s: CalendarSpan): number {
  return ((s.years * 366 + s.months * 31 + s.days) * 24 + s.hours) * 3_600_000;
}
