import { AbortedError } from "../core/errors.js";
import { describeError } from "./shared/describe-error.js";
import type { RestoreOptions } from "./shared/restore-options.js";

export interface RestoreSummary {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** Logical bytes of regular files restored (holes included, hardlinks counted once). */
  bytes: number;
  /** One per entry that was not restored: unsafe names, duplicates, damaged data, existing paths. Files are written several at once, so their errors come in completion order. */
  errors: { path: string; message: string }[];
}

/**
 * What a restore did, as it happens: counts of restored entries and the
 * errors of those that were not (the summary restoreSnapshot returns), and
 * the progress and warning callbacks. The only writer of the summary.
 */
export class RestoreOutcome {
  readonly summary: RestoreSummary = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, errors: [] };

  constructor(private readonly listeners: Pick<RestoreOptions, "onProgress" | "onWarning">) {}

  /** A new regular file of `bytes` (its logical size) is complete. */
  fileRestored(bytes: number): void {
    this.summary.files++;
    this.summary.bytes += bytes;
    this.progress();
  }

  /** A hardlink to a file restored earlier in this run: its bytes are already counted. */
  hardlinkRestored(): void {
    this.summary.hardlinks++;
    this.progress();
  }

  dirCreated(): void {
    this.summary.dirs++;
  }

  symlinkCreated(): void {
    this.summary.symlinks++;
  }

  /** The entry at `path` was not restored. */
  failed(path: string, err: unknown): void {
    this.summary.errors.push({ path, message: describeError(err) });
  }

  /** Something about `path` was skipped or not applied, but the restore of it went on. */
  warn(path: string, message: string): void {
    this.listeners.onWarning?.({ path, message });
  }

  /** Run `fn` for one entry: its failure is recorded against `display` and the restore goes on; an abort is rethrown. */
  async guard(display: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      this.failed(display, err);
    }
  }

  private progress(): void {
    this.listeners.onProgress?.({ files: this.summary.files, bytes: this.summary.bytes });
  }
}
