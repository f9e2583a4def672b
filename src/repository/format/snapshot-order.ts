/**
 * The one order of snapshots (docs/FORMAT.md §Snapshots): by the instant a
 * record's time names, then by id. `cairn snapshots` lists in it, `latest` is
 * its last, a backup's parent is the last of its host and paths, and retention
 * walks it backwards, so all of them agree on which snapshot is the newest even
 * when two share a time or a record's time is written with another offset or
 * as a six-digit year.
 */
export interface OrderedSnapshot {
  id: string;
  /** Milliseconds since the epoch (snapshotInstant). */
  ms: number;
}

/** The instant of a record's time; a time that does not parse sorts before every other (-Infinity). */
export function snapshotInstant(time: string): number {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** Oldest first: earlier instant, then the smaller id. */
export function compareSnapshots(a: OrderedSnapshot, b: OrderedSnapshot): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
