import { backupPaths, type BackupOptions, type BackupResult } from "../../pipeline/backup.js";
import type { BackupRepository } from "../../pipeline/backup-repository.js";
import type { BackupSource } from "../source.js";
import type { CommandLog } from "../../exec/child-command.js";
import { showCommand, type CommandSpec } from "../../exec/command-spec.js";
import { runCommand } from "../../exec/run-command.js";

export interface SnapshotSourceOptions {
  /** Makes the consistent copy (`voltadmin save --blocking /snap nightly`, an LVM snapshot and mount). */
  prepare?: string | readonly string[];
  /** What to back up once prepared. */
  paths: readonly string[];
  /** Always runs after the backup, failed or not (`rm -rf /snap/*`, unmount). */
  cleanup?: string | readonly string[];
  /** Hook commands run with /bin/sh -c (default true: they are typically small shell scripts). */
  shell?: boolean;
  env?: Readonly<Record<string, string>>;
  timeoutSeconds?: number;
  excludes?: string[];
  log?: CommandLog;
}

/**
 * The snapshot source: prepare a consistent copy, back up its paths, clean
 * up. A failing prepare fails the run before anything is read; cleanup runs
 * whether the backup succeeded or not, and its failure fails the run only
 * when the backup itself succeeded (the first error is the one to read).
 */
export class SnapshotSource implements BackupSource {
  readonly description: string;

  constructor(private readonly o: SnapshotSourceOptions) {
    this.description = `snapshot ${o.prepare ? `(${showCommand(this.spec(o.prepare))}) ` : ""}${o.paths.join(" ")}`;
  }

  async backup(repo: BackupRepository, opts: BackupOptions): Promise<BackupResult> {
    const log = this.o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    let result: BackupResult | undefined;
    try {
      if (this.o.prepare) await runCommand(this.spec(this.o.prepare), log, opts.signal);
      result = await backupPaths(repo, this.o.paths, {
        ...opts,
        excludes: [...(opts.excludes ?? []), ...(this.o.excludes ?? [])],
      });
    } finally {
      // No signal: cleanup must run even when the run was interrupted.
      const cleanup = this.o.cleanup ? runCommand(this.spec(this.o.cleanup), log) : Promise.resolve();
      if (result) await cleanup;
      else await cleanup.catch((e: Error) => log(`cleanup failed too: ${e.message}`));
    }
    return result;
  }

  private spec(command: string | readonly string[]): CommandSpec {
    return { command, shell: this.o.shell ?? true, env: this.o.env, timeoutSeconds: this.o.timeoutSeconds };
  }
}
