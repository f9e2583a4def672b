import { ObjectLockedError, UsageError } from "../core/errors.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { snapshotInstant } from "../repository/format/snapshot-order.js";
import { DEFAULT_GROUP_BY, groupSnapshots, type GroupBy, type GroupKey } from "./group-snapshots.js";
import { isEmptyPolicy, validatePolicy, type RetentionPolicy } from "./policy.js";
import { selectSnapshots, type PolicySnapshot } from "./select-snapshots.js";
import { processZone, type ZoneOffsetAt } from "./wall-clock.js";
import type { SnapshotStore } from "./snapshot-store.js";

export interface ForgetOptions {
  groupBy?: GroupBy;
  /** Only snapshots of these hosts are considered (others are left alone). */
  hosts?: readonly string[];
  dryRun?: boolean;
  now?: Date;
  zone?: ZoneOffsetAt;
  signal?: AbortSignal;
}

export interface ForgetSnapshotRef {
  id: string;
  time: string;
}

export interface ForgetGroup {
  key: GroupKey;
  keep: (ForgetSnapshotRef & { reasons: string[] })[];
  remove: ForgetSnapshotRef[];
}

/** The outcome of a forget run; the agent reports `kept`/`removed` as metrics. */
export interface ForgetResult {
  groups: ForgetGroup[];
  kept: number;
  /** Snapshot records deleted (or, with dryRun, that would be). */
  removed: number;
  /** Records the policy removes but the store refuses to delete yet (object lock); a later forget retries them. */
  locked: (ForgetSnapshotRef & { retainUntil?: string })[];
  dryRun: boolean;
}

/** The policy's view of a snapshot record. */
export interface PolicyEntry extends PolicySnapshot {
  host: string;
  paths: readonly string[];
  /** The record's time as written. */
  recorded: string;
}

/** Its instant and the UTC offset of the host that took it (this process's zone for records older than the offset field). */
export function policyView(s: Snapshot, zone: ZoneOffsetAt = processZone): PolicyEntry {
  const ms = snapshotInstant(s.time);
  return {
    id: s.id,
    host: s.host,
    paths: s.paths,
    tags: s.tags,
    recorded: s.time,
    time: { ms, offsetMinutes: s.utcOffset ?? zone(ms) },
  };
}

/**
 * Apply a retention policy: group the snapshots (by host and paths unless told
 * otherwise), select per group, delete the records of the removed snapshots.
 * Needs only the agent key. Deleting a record is the whole of forget: the data
 * it referenced goes with the next prune (FORMAT.md §Prune).
 */
export async function forgetSnapshots(
  repo: SnapshotStore,
  policy: RetentionPolicy,
  o: ForgetOptions = {},
): Promise<ForgetResult> {
  validatePolicy(policy);
  if (isEmptyPolicy(policy))
    throw new UsageError("no keep-* option given: refusing to forget", {
      hint: "give at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within, --keep-tag",
    });
  const zone = o.zone ?? processZone;
  const all = (await repo.listSnapshots(o.signal)).filter((s) => !o.hosts?.length || o.hosts.includes(s.host));
  const result: ForgetResult = { groups: [], kept: 0, removed: 0, locked: [], dryRun: o.dryRun === true };
  for (const g of groupSnapshots(
    all.map((s) => policyView(s, zone)),
    o.groupBy ?? DEFAULT_GROUP_BY,
  )) {
    const sel = selectSnapshots(g.snapshots, policy, { now: (o.now ?? repo.clock.now()).getTime(), zone });
    result.groups.push({
      key: g.key,
      keep: sel.keep.map((k) => ({ id: k.snapshot.id, time: k.snapshot.recorded, reasons: k.reasons })),
      remove: sel.remove.map((s) => ({ id: s.id, time: s.recorded })),
    });
    result.kept += sel.keep.length;
    for (const s of sel.remove) {
      if (o.dryRun) result.removed++;
      else await deleteRecord(repo, s, result);
    }
  }
  return result;
}

async function deleteRecord(repo: SnapshotStore, s: PolicyEntry, result: ForgetResult): Promise<void> {
  try {
    await repo.deleteSnapshot(s.id);
    result.removed++;
  } catch (e) {
    if (!(e instanceof ObjectLockedError)) throw e;
    result.locked.push({ id: s.id, time: s.recorded, retainUntil: e.retainUntil?.toISOString() });
  }
}
