import type { ZoneOffsetAt } from "../../src/retention/wall-clock.js";

/** A named IANA zone's UTC offset at an instant, so tests do not depend on the TZ vitest runs in. */
export function zoneFor(tz: string): ZoneOffsetAt {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  return (ms) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const wall = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000) || 0;
  };
}

/** `YYYY-MM-DD HH:MM:SS` on the wall clock of a zone (restic's --time format). */
export function wallString(ms: number, zone: ZoneOffsetAt): string {
  return new Date(ms + zone(ms) * 60_000).toISOString().slice(0, 19).replace("T", " ");
}
