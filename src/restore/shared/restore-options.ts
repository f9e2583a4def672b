export interface RestoreOptions {
  /** Snapshot paths ("/home/x" or "home/x"): restore only these subtrees and their parent directories. */
  include?: string[];
  /** Restore uid/gid and setuid/setgid bits. Default: true when running as root. */
  restoreOwnership?: boolean;
  signal?: AbortSignal;
  /** Called after each regular file (or hardlink) is restored. */
  onProgress?(p: { files: number; bytes: number }): void;
  /** Skipped special files, metadata that could not be applied, include paths that matched nothing. */
  onWarning?(w: { path: string; message: string }): void;
}
