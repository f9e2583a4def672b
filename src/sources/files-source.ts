import { backupPaths, type BackupOptions, type BackupResult } from "../pipeline/backup.js";
import type { BackupRepository } from "../pipeline/backup-repository.js";
import type { BackupSource } from "./source.js";

/** Files and directories as one snapshot: `backupPaths` with the job's own excludes. */
export class FilesSource implements BackupSource {
  readonly description: string;

  constructor(
    private readonly paths: readonly string[],
    private readonly exclude: readonly string[] = [],
  ) {
    this.description = `files ${paths.join(", ")}`;
  }

  backup(repo: BackupRepository, o: BackupOptions): Promise<BackupResult> {
    return backupPaths(repo, this.paths, { ...o, excludes: [...(o.excludes ?? []), ...this.exclude] });
  }
}
