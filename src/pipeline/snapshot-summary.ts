import type { SnapshotSummary } from "../repository/format/snapshot-record.js";
import type { BlobSaverStats } from "./blob-saver.js";
import type { BackupCounters } from "./progress.js";

/** What a snapshot record says of the backup that made it: the walk's counters and the uploader's. */
export function snapshotSummary(counters: BackupCounters, s: BlobSaverStats, startedMs: number): SnapshotSummary {
  return {
    ...counters,
    bytesAdded: s.bytesAdded,
    bytesStored: s.bytesStored,
    blobsNew: s.blobsNew,
    blobsDeduplicated: s.blobsDeduplicated,
    packsUploaded: s.packsUploaded,
    durationSeconds: (Date.now() - startedMs) / 1000,
  };
}
