import type { BackupOptions, BackupResult } from "../pipeline/backup.js";
import type { BackupRepository } from "../pipeline/backup-repository.js";

/**
 * What a job backs up: a files tree, a dump stream, a database. The agent,
 * `cairn run` and drills only see this seam; each kind (src/sources/*) builds
 * one from its validated config section.
 */
export interface BackupSource {
  /** Short description for logs and `status`; must never contain secrets. */
  readonly description: string;
  /** Take one snapshot into `repo`. Throws, recording no snapshot, when the source cannot be read consistently. */
  backup(repo: BackupRepository, o: BackupOptions): Promise<BackupResult>;
}
