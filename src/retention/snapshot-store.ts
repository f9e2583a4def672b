import type { Clock } from "../core/clock.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";

/**
 * The snapshot records forget reads and deletes; src/repository/repository.ts's
 * Repository satisfies it. Retention sees records only, never data.
 *
 * Contract:
 * - `listSnapshots` gives every readable record, oldest first; a damaged one
 *   is skipped (and reported by the store), not thrown.
 * - `deleteSnapshot` removes one record and nothing else: the data it
 *   referenced stays until a prune finds it unreferenced (FORMAT.md §Prune).
 *   Deleting a record already gone succeeds; one the store still retains
 *   rejects with ObjectLockedError.
 * - `clock.now()` is the policy's "now" when the caller gives none.
 */
export interface SnapshotStore {
  readonly clock: Pick<Clock, "now">;
  listSnapshots(signal?: AbortSignal): Promise<Snapshot[]>;
  deleteSnapshot(id: string): Promise<void>;
}
