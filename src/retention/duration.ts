import { UsageError } from "../core/errors.js";

/**
 * A calendar span as restic's `--keep-within` reads it: years, months, days
 * and hours, written like `1y6m`, `7d`, `2d12h`. Years, months and days are
 * calendar steps (subtracted on the wall clock), hours are exact.
 */
export interface CalendarSpan {
  years: number;
  months: number;
  days: number;
  hours: number;
}

export const ZERO_SPAN: CalendarSpan = { years: 0, months: 0, days: 0, hours: 0 };

const UNIT: Record<string, keyof CalendarSpan> = { y: "years", m: "months", d: "days", h: "hours" };

/** Parse `1y2m3d4h` (any subset, units may repeat and add up, like restic). */
export function parseCalendarSpan(text: string, option = "--keep-within"): CalendarSpan {
  const span = { ...ZERO_SPAN };
  const re = /(\d+)([ymdh])/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    span[UNIT[m[2]]] += Number(m[1]);
    at = re.lastIndex;
  }
  if (text.length === 0 || at !== text.length) {
    throw new UsageError(`${option} ${JSON.stringify(text)} is not a duration`, {
      hint: "use numbers with units y, m, d, h, e.g. 2d, 1y6m, 36h",
    });
  }
  return span;
}

export function isZeroSpan(s: CalendarSpan): boolean {
  return s.years === 0 && s.months === 0 && s.days === 0 && s.hours === 0;
}

/** restic's spelling of a span (`2d`, `1y6m`), used in keep reasons. */
export function formatCalendarSpan(s: CalendarSpan): string {
  const parts = [
    [s.years, "y"],
    [s.months, "m"],
    [s.days, "d"],
    [s.hours, "h"],
  ] as const;
  const text = parts
    .filter(([n]) => n !== 0)
    .map(([n, u]) => `${n}${u}`)
    .join("");
  return text === "" ? "0h" : text;
}

const EXACT_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An exact duration such as `24h`, `90m`, `30s`, `7d`, `1h30m` (grace periods, lock periods), in milliseconds. */
export function parseExactDuration(text: string, option: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let at = 0;
  let ms = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    ms += Number(m[1]) * EXACT_UNIT_MS[m[2]];
    at = re.lastIndex;
  }
  if (text.length === 0 || at !== text.length)
    throw new UsageError(`${option} ${JSON.stringify(text)} is not a duration`, {
      hint: "use numbers with units ms, s, m, h, d, e.g. 24h, 90m, 1h30m",
    });
  return ms;
}
