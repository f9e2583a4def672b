import type { BackupOptions, BackupResult } from "../../pipeline/backup.js";
import { backupComposed } from "../../pipeline/stream-backup.js";
import type { BackupRepository } from "../../pipeline/backup-repository.js";
import { UsageError } from "../../core/errors.js";
import type { BackupSource } from "../source.js";
import type { CommandLog } from "../../exec/child-command.js";
import { commandOutput } from "./command-output.js";
import { showCommand, type CommandSpec } from "../../exec/command-spec.js";

export interface DumpSourceOptions extends CommandSpec {
  /** The file the dump is stored as, at the root of the snapshot ("mydb.sql"). */
  name: string;
  /** Where the command's stderr goes, line by line (default: cairn's stderr). */
  log?: CommandLog;
  /** Description override (presets name the database rather than the command). */
  description?: string;
}

/**
 * The logical-backup source: runs a command and streams its stdout into the
 * repository as the one file `name` of the snapshot, with no copy on disk.
 * The snapshot is recorded only when the command exited 0.
 */
export class DumpSource implements BackupSource {
  readonly description: string;

  constructor(private readonly o: DumpSourceOptions) {
    if (!/^[^/\0]+$/.test(o.name) || o.name === "." || o.name === "..")
      throw new UsageError(`dump name ${JSON.stringify(o.name)} must be a plain file name`, {
        hint: "e.g. --dump-name mydb.sql",
      });
    this.description = o.description ?? `dump ${showCommand(o)} -> ${o.name}`;
  }

  backup(repo: BackupRepository, opts: BackupOptions): Promise<BackupResult> {
    const log = this.o.log ?? ((l: string) => process.stderr.write(`${this.o.name}: ${l}\n`));
    const data = commandOutput(this.o, log, opts.signal);
    return backupComposed(repo, [{ kind: "stream", name: this.o.name, data }], {
      ...opts,
      paths: [`/${this.o.name}`],
      source: this.description,
    });
  }
}
