/**
 * cairn's library API: the same engine the CLI and the agent use.
 *
 * @example
 * ```ts
 * import { Repository, openStorage, generateIdentity, backupPaths, restoreSnapshot } from "cairn";
 * const id = generateIdentity();
 * const storage = await openStorage("/srv/backups/repo");
 * const { repo, agentKey } = await Repository.init(storage, { recipients: [id.recipient] });
 * const { snapshot } = await backupPaths(repo, ["/data"]);
 * const reader = await Repository.open(storage, { agentKey, identities: [id] });
 * await restoreSnapshot(reader, snapshot.tree, "/tmp/restore");
 * ```
 */
export { Repository, type InitOptions, type OpenOptions } from "./repository/repository.js";
export type { Snapshot, SnapshotRecord, SnapshotSummary } from "./repository/format/snapshot-record.js";
export type { Tree, TreeNode } from "./repository/format/tree.js";
export { checkRepository, type CheckReport, type CheckProblem } from "./maintenance/check.js";
export { backupPaths, type BackupOptions, type BackupResult } from "./pipeline/backup.js";
export type { BackupRepository } from "./pipeline/backup-repository.js";
export { restoreSnapshot } from "./restore/restore-tree.js";
export { listTree } from "./restore/list-tree.js";
export { dumpFile } from "./restore/dump-file.js";
export { AgentKey } from "./crypto/agent-key.js";
export {
  generateIdentity,
  parseIdentity,
  parseRecipient,
  parseIdentityFile,
  type AgeIdentity,
  type AgeRecipient,
} from "./crypto/age-keys.js";
export { openStorage } from "./storage/location/open-storage.js";
export { LocalStorage } from "./storage/local/local-storage.js";
export { S3Storage } from "./storage/s3/s3-storage.js";
export type { S3Options } from "./storage/s3/s3-options.js";
export { AzureStorage } from "./storage/azure/azure-storage.js";
export type { AzureOptions } from "./storage/azure/azure-options.js";
export { syncStorage, type SyncOptions, type SyncReport } from "./storage/sync.js";
export type { Storage, ObjectInfo, StorageCapabilities } from "./storage/storage.js";
export * from "./core/errors.js";
export type { BlobId, ObjectId, SnapshotId } from "./core/ids.js";
