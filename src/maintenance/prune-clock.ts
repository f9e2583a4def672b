import type { Clock } from "../core/clock.js";
import type { AgentKey } from "../crypto/agent-key.js";
import { ClockSkewError } from "../core/errors.js";
import type { Storage } from "../storage/storage.js";
import { deleteUnlessLocked } from "./prune-index.js";
import { emptyMark, writeMark } from "../repository/prune-mark.js";

/**
 * Store times may be whole seconds (S3 Last-Modified), so a store time up to
 * this much before the host's time of the write is not skew.
 */
const STORE_TIME_RESOLUTION_MS = 1000;

export interface ClockReading {
  /** This host's time, halfway through the probe write. */
  host: Date;
  /** The store's time of the probe object. */
  store: Date;
  /** store − host beyond what the write's duration and the store's time resolution explain (0 when they agree). */
  skewMs: number;
}

/**
 * The largest host/store clock difference a grace period absorbs: a quarter
 * of it. Phase 2 deletes a mark's packs once the prune's clock says it is a
 * grace period old, while a backup may commit against them until its clock
 * says half of one; a quarter each way leaves the other quarter for a backup
 * that is slow between that check and its commit (FORMAT.md §Prune, Clocks).
 */
export function maxClockSkewMs(graceMs: number): number {
  return graceMs / 4;
}

/**
 * Read the store's clock: write a probe object (an empty prune mark, which
 * condemns and supersedes nothing, so a concurrent reader or a crash before it
 * is deleted is harmless), take its store time with `head`, delete it. On
 * Object Lock storage the delete is refused and a later prune removes the probe
 * like any expired mark.
 */
export async function readStoreClock(storage: Storage, agent: AgentKey, clock: Clock): Promise<ClockReading> {
  const before = clock.now().getTime();
  const key = await writeMark(storage, agent, emptyMark(new Date(before), 0));
  const after = clock.now().getTime();
  const info = await storage.head(key);
  await deleteUnlessLocked(storage, key);
  const store = info ? info.mtime.getTime() : after;
  const skewMs =
    store < before - STORE_TIME_RESOLUTION_MS
      ? store - (before - STORE_TIME_RESOLUTION_MS)
      : store > after
        ? store - after
        : 0;
  return { host: new Date((before + after) / 2), store: new Date(store), skewMs };
}

/**
 * Refuse to prune when this host's clock and the store's disagree by more
 * than the grace period absorbs: every age prune judges (marks, packs) is a
 * store time measured against this host's clock, and a clock that runs ahead
 * would delete packs a backup may still commit against.
 */
export async function refuseClockSkew(
  storage: Storage,
  agent: AgentKey,
  clock: Clock,
  graceMs: number,
): Promise<ClockReading> {
  const reading = await readStoreClock(storage, agent, clock);
  if (Math.abs(reading.skewMs) > maxClockSkewMs(graceMs))
    throw new ClockSkewError(
      storage.name,
      reading.host,
      reading.store,
      reading.skewMs,
      graceMs,
      maxClockSkewMs(graceMs),
    );
  return reading;
}
