import type { SourceConfig } from "../config/source-schema.js";
import { normaliseRoots } from "../pipeline/backup.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { createSource } from "./create-source.js";

/**
 * Whether a snapshot was made by a job with this source: a dump or database
 * source records its description (secret-free: no password), a files or
 * snapshot source records its paths (resolved, sorted, as backupPaths keeps
 * them). Several jobs may share a repository; this tells their snapshots apart.
 */
export function snapshotOfJob(source: SourceConfig): (s: Snapshot) => boolean {
  if (source.type === "files" || source.type === "snapshot") {
    const key = [...normaliseRoots(source.paths)].sort().join("\0");
    return (s) => [...s.paths].sort().join("\0") === key;
  }
  const description = createSource(source).description;
  return (s) => s.source === description;
}

/** The newest of a job's snapshots in a listing (oldest first, as Repository.listSnapshots returns them). */
export function newestOfJob(snapshots: readonly Snapshot[], source: SourceConfig): Snapshot | undefined {
  const ofJob = snapshotOfJob(source);
  return snapshots.filter(ofJob).at(-1);
}
