import { mulberry32 } from "../helpers/prng.js";
import type { ZoneOffsetAt } from "../../src/retention/wall-clock.js";

export type Rand = () => number;

export function uniform(seed: number): Rand {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const between = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export interface PlannedSnapshot {
  ms: number;
  host: string;
  dir: "a" | "b";
  tags: string[];
}

const MIN = 60_000;
const GAPS = [
  [5 * MIN, 50 * MIN],
  [60 * MIN, 12 * 60 * MIN],
  [86_400_000, 4 * 86_400_000],
  [7 * 86_400_000, 45 * 86_400_000],
] as const;

/**
 * A random timeline, oldest first, mixing bursts (same hour/day) with gaps of
 * days and months, spanning year ends and daylight-saving changes. Times are
 * whole seconds, distinct, and never within an hour of a zone change (where
 * the wall clock is ambiguous and the two tools may pick different instants).
 */
export function randomTimeline(r: Rand, n: number, zone: ZoneOffsetAt): PlannedSnapshot[] {
  const out: PlannedSnapshot[] = [];
  let t = Date.UTC(2019, between(r, 0, 11), between(r, 1, 28), between(r, 0, 23), between(r, 0, 59));
  while (out.length < n) {
    const [lo, hi] = pick(r, GAPS);
    t += lo + Math.floor(r() * (hi - lo));
    t = Math.floor(t / 1000) * 1000;
    if (zone(t - 3_600_000) !== zone(t + 3_600_000)) continue;
    const tags = ["release", "manual"].filter(() => r() < 0.2);
    out.push({ ms: t, host: r() < 0.75 ? "alpha" : "beta", dir: r() < 0.8 ? "a" : "b", tags });
  }
  return out;
}

const SPANS = ["12h", "2d", "5d", "1m", "1m15d", "3m", "1y", "2y", "36h", "7d12h"];

/** A random, non-empty restic/cairn policy as command-line flags (no -1: restic 0.14 does not know it). */
export function randomPolicyFlags(r: Rand): string[] {
  const flags: string[] = [];
  for (const k of ["last", "hourly", "daily", "weekly", "monthly", "yearly"])
    if (r() < 0.35) flags.push(`--keep-${k}`, String(between(r, 1, 8)));
  if (r() < 0.25) flags.push("--keep-within", pick(r, SPANS));
  for (const k of ["hourly", "daily", "weekly", "monthly", "yearly"])
    if (r() < 0.08) flags.push(`--keep-within-${k}`, pick(r, SPANS));
  if (r() < 0.2) flags.push("--keep-tag", pick(r, ["release", "release,manual", "manual"]));
  if (flags.length === 0) flags.push("--keep-daily", String(between(r, 1, 5)));
  flags.push("--group-by", pick(r, ["host,paths", "host,paths", "host", "", "paths", "host,tags"]));
  return flags;
}
