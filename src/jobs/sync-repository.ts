import { IntegrityError, UsageError } from "../core/errors.js";
import { CONFIG_KEY, expectedSha256, writePhaseOf } from "../repository/layout.js";
import type { Storage } from "../storage/storage.js";
import { syncStorage, type SyncReport } from "../storage/sync.js";

export interface SyncRepositoryOptions {
  concurrency?: number;
  signal?: AbortSignal;
  /** Names the source in errors ("--from", "repository app"); defaults to the storage's name. */
  fromLabel?: string;
  /** What to tell the user when `from` holds no repository. */
  noRepositoryHint?: string;
}

/**
 * Copy every object of the repository in `from` that `to` lacks, in the
 * repository's write order and verified by hash (needs no key): what `cairn
 * sync` and an agent's sync job share. Throws when `from` holds no
 * repository; damaged source objects are left out and listed in the report.
 */
export async function syncRepository(from: Storage, to: Storage, o: SyncRepositoryOptions = {}): Promise<SyncReport> {
  if (!(await from.head(CONFIG_KEY))) {
    throw new UsageError(`${o.fromLabel ?? from.name} holds no repository (no config object)`, {
      hint: o.noRepositoryHint ?? "check the source location",
    });
  }
  return syncStorage(from, to, { phase: writePhaseOf, expectedSha256, concurrency: o.concurrency, signal: o.signal });
}

/** The error for a sync that left damaged source objects behind (after the report was shown). */
export function damagedSourceError(report: SyncReport, hint: string): IntegrityError | undefined {
  if (report.problems.length === 0) return undefined;
  return new IntegrityError(
    "object",
    report.problems[0].key,
    `${report.problems.length} damaged source object(s) not copied`,
    { hint },
  );
}
