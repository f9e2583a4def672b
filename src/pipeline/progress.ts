/** Counters a backup reports while it runs and in its summary. */
export interface BackupCounters {
  filesNew: number;
  filesChanged: number;
  filesUnchanged: number;
  dirs: number;
  bytesRead: number;
  /** Size of every file covered, read or reused. */
  bytesTotal: number;
  warnings: number;
}

export interface BackupWarning {
  path: string;
  message: string;
}

export interface BackupEvents {
  onProgress?(c: Readonly<BackupCounters> & { bytesUploaded: number; currentPath: string }): void;
  onWarning?(w: BackupWarning): void;
}

export function newCounters(): BackupCounters {
  return { filesNew: 0, filesChanged: 0, filesUnchanged: 0, dirs: 0, bytesRead: 0, bytesTotal: 0, warnings: 0 };
}
