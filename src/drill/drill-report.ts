/** What one restore drill did; `cairn drill`, the state file and the metrics show it. */
export interface DrillReport {
  /** The drilled (backup) job. */
  job: string;
  repository: string;
  snapshot: string;
  /** When the drilled snapshot was taken. */
  snapshotTime: string;
  /** `files`: restored into a temporary directory; `database`: replayed into a scratch database. */
  mode: "files" | "database";
  /** Files restored (database drills: 1, the dump). */
  files: number;
  /** Bytes restored: file contents, or the dump replayed. */
  restoredBytes: number;
  /** Wall time of the restore itself (not the listing, the check query or the cleanup): the RTO for this data. */
  restoreSeconds: number;
  /** The scratch database's name (database drills); it is dropped before the drill returns. */
  scratchDatabase?: string;
  /** The check query's output, trimmed. */
  queryResult?: string;
}
