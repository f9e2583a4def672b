import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { BackupOptions, BackupResult } from "../../pipeline/backup.js";
import { backupComposed } from "../../pipeline/stream-backup.js";
import type { BackupRepository } from "../../pipeline/backup-repository.js";
import { SourceError } from "../../core/errors.js";
import type { BackupSource } from "../source.js";
import { readLater } from "../read-later.js";
import type { CommandLog } from "../../exec/child-command.js";
import type { CommandSpec } from "../../exec/command-spec.js";
import { runCommand } from "../../exec/run-command.js";

export interface SqliteSourceOptions {
  /** The live database file. */
  path: string;
  /** `backup` (the online backup API, `.backup`) or `vacuum` (`VACUUM INTO`, a compacted copy). */
  method?: "backup" | "vacuum";
  /** File name in the snapshot; default the database file's name. */
  name?: string;
  /** Where the temporary copy is made (default the system temp dir); needs room for one copy. */
  tmpDir?: string;
  timeoutSeconds?: number;
  log?: CommandLog;
}

/** The exact sqlite3 argv that writes a consistent copy of `db` to `copy` while others keep writing. */
export function sqliteCopyCommand(o: SqliteSourceOptions, copy: string): CommandSpec {
  const sql =
    (o.method ?? "backup") === "vacuum"
      ? `VACUUM INTO '${copy.replace(/'/g, "''")}'`
      : `.backup '${copy.replace(/'/g, "''")}'`;
  return { command: ["sqlite3", "-bail", o.path, sql], timeoutSeconds: o.timeoutSeconds };
}

/**
 * SQLite: a consistent online copy made by sqlite3 into a temporary
 * directory, stored as one file, the copy removed whatever happens. (The live
 * file cannot be read directly: a write during the read would tear it.)
 */
export class SqliteSource implements BackupSource {
  readonly description: string;

  constructor(private readonly o: SqliteSourceOptions) {
    this.description = `sqlite ${o.path} (${o.method ?? "backup"})`;
  }

  async backup(repo: BackupRepository, opts: BackupOptions): Promise<BackupResult> {
    const log = this.o.log ?? ((l: string) => process.stderr.write(`sqlite3: ${l}\n`));
    // sqlite3 would create an empty database at a wrong path and back that up.
    await stat(this.o.path).catch((e: Error) => {
      throw new SourceError(this.o.path, `cannot read the database file: ${e.message}`, {
        hint: "check `path:` names the live database file",
      });
    });
    const dir = await mkdtemp(join(this.o.tmpDir ?? tmpdir(), "cairn-sqlite-"));
    try {
      const name = this.o.name ?? basename(this.o.path);
      const copy = join(dir, name);
      await runCommand(sqliteCopyCommand(this.o, copy), log, opts.signal);
      return await backupComposed(repo, [{ kind: "stream", name, data: readLater(copy) }], {
        ...opts,
        paths: [this.o.path],
        source: this.description,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
