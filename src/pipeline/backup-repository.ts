import type { Clock } from "../core/clock.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { PackCodec } from "../repository/format/pack-codec.js";
import type { RepoConfig } from "../repository/format/repo-config.js";
import type { Snapshot, SnapshotRecord } from "../repository/format/snapshot-record.js";
import type { BlobSaver, BlobSaverStats } from "./blob-saver.js";

/**
 * The agent key's keyed hashing, all of it a backup uses: blob ids (here and,
 * through the exported id key, on the codec workers) and the chunker's gear
 * table (FORMAT.md §Blob IDs, §Chunking). Sealing metadata stays behind
 * BackupRepository.saveSnapshot.
 */
export type BlobKeying = Pick<AgentKey, "blobId" | "exportBlobIdKey" | "gearKey">;

/**
 * What a backup (backupPaths, backupComposed) and every BackupSource need of a
 * repository: the keys and parameters that make its chunks and ids match
 * earlier backups, the snapshots to find a parent among, one upload session,
 * and the commit. src/repository/repository.ts's Repository satisfies it; the
 * pipeline never sees that class, its storage or its index.
 */
export interface BackupRepository {
  readonly agent: BlobKeying;
  /** Fixed when the repository was created: the same chunker and level for every backup (FORMAT.md §Chunking). */
  readonly config: Pick<RepoConfig, "chunker" | "compressionLevel">;
  /** The snapshot record's time unless the caller gives one. */
  readonly clock: Pick<Clock, "now">;

  /** Every readable snapshot, oldest first (a damaged record is skipped): the parent is the newest of the same host and paths. */
  listSnapshots(signal?: AbortSignal): Promise<Snapshot[]>;

  /**
   * Run `fn` with one upload session (packs sealed on `o.codec`). On return
   * every blob `fn` added is uploaded and indexed, and `uploader.stats` is
   * final; it rejects, recording nothing, when a prune may delete a pack the
   * session relies on (FORMAT.md §Prune). When `fn` throws, the packs already
   * uploaded are indexed (best effort) for the next run to reuse, and the
   * error propagates.
   */
  withUploader<T>(
    fn: (up: BlobSaver) => Promise<T>,
    o?: { codec?: PackCodec },
  ): Promise<{ result: T; uploader: { readonly stats: BlobSaverStats } }>;

  /** Write the snapshot record, the backup's commit point, after withUploader returned (FORMAT.md §Write order); resolves to its id. */
  saveSnapshot(record: SnapshotRecord): Promise<string>;
}
