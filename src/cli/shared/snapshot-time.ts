import { UsageError } from "../../core/errors.js";

// ISO 8601 as people type it: a date, optionally a time (`T` or a space), seconds, a fraction and a zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `backup --time`: an ISO 8601 date or date-time in the years 0000-9999, or
 * a UsageError naming the flag. Date.parse alone takes `1` (the year 2001),
 * rolls 30 February over into March and writes years past 9999 with six
 * digits, which no longer sort as the other snapshot times do; a date without
 * a time is midnight UTC, a time without a zone is this host's local time
 * (as Date.parse reads them).
 */
export function parseSnapshotTime(text: string, flag = "--time"): Date {
  const m = ISO.exec(text.trim());
  const ms = m && fieldsValid(m) ? Date.parse(canonical(m)) : NaN;
  // Years outside 0000-9999 (reachable through a zone offset) print with a sign and six digits.
  if (Number.isNaN(ms) || !/^\d{4}-/.test(new Date(ms).toISOString()))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a date and time in the years 0000-9999`, {
      hint: `use ISO 8601, e.g. ${flag} 2026-01-31T12:00:00Z (or 2026-01-31, midnight UTC)`,
    });
  return new Date(ms);
}

function fieldsValid(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !leap(year) ? 1 : 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59;
}

function leap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The form Date.parse reads the same way on every engine: `T`, seconds, at most milliseconds, `±HH:MM`. */
function canonical(m: RegExpExecArray): string {
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (m[4] === undefined) return date;
  const fraction = (m[7] ?? "").slice(0, 3).padEnd(3, "0");
  const zone = m[8] === undefined ? "" : m[8].toUpperCase() === "Z" ? "Z" : `${m[8].slice(0, 3)}:${m[8].slice(-2)}`;
  return `${date}T${m[4]}:${m[5]}:${m[6] ?? "00"}.${fraction}${zone}`;
}
