import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { BackupOptions, BackupResult } from "../../pipeline/backup.js";
import { backupComposed, type ComposedEntry, type EntryMeta } from "../../pipeline/stream-backup.js";
import type { BackupRepository } from "../../pipeline/backup-repository.js";
import { SourceError } from "../../core/errors.js";
import type { BackupSource } from "../source.js";
import { readLater } from "../read-later.js";
import type { CommandLog } from "../../exec/child-command.js";
import { pgWhere, type PgConnection } from "./pg-connection.js";
import { PsqlSession } from "./psql-session.js";

export interface PgPhysicalOptions extends PgConnection {
  /** The cluster's data directory, readable by cairn (run as root or as the postgres OS user). */
  dataDir: string;
  log?: CommandLog;
}

/** Top-level entries never copied: the server's live state, and what cairn writes itself. */
const SKIP_TOP = new Set([
  "pg_wal",
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_label.old",
]);
/** Directories whose contents are rebuilt at startup (PostgreSQL docs, "Making a Base Backup Using the Low Level API"). */
const EMPTY_DIRS = [
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
];
const WAL_FILE = /^[0-9A-F]{24}$/;

/**
 * PostgreSQL physical backup: the data directory's files copied between
 * pg_backup_start() and pg_backup_stop() in one session, then the returned
 * backup_label and the WAL segments from the start to the stop position
 * (kept from recycling by a temporary replication slot) stored beside them.
 * The snapshot's root is a data directory that starts as it is restored.
 */
export class PgPhysicalSource implements BackupSource {
  readonly description: string;

  constructor(private readonly o: PgPhysicalOptions) {
    this.description = `postgres physical ${o.dataDir} via ${pgWhere(o)}`;
  }

  async backup(repo: BackupRepository, opts: BackupOptions): Promise<BackupResult> {
    const log = this.o.log ?? ((l: string) => process.stderr.write(`postgres: ${l}\n`));
    const session = new PsqlSession(this.o, "postgres", log);
    try {
      await this.refuseTablespaces(session);
      await this.checkSameCluster(session);
      await session.query(
        `SELECT 1 FROM pg_create_physical_replication_slot('cairn_${randomBytes(6).toString("hex")}', true, true)`,
      );
      const startWal = (
        await session.query("SELECT pg_walfile_name(lsn) FROM pg_backup_start('cairn', true) AS lsn")
      ).trim();
      const stop = once(async () => this.stop(session));
      const entries = await this.entries(startWal, stop);
      const r = await backupComposed(repo, entries, {
        ...opts,
        paths: [this.o.dataDir],
        source: this.description,
        excludes: EMPTY_DIRS.map((d) => `${join(this.o.dataDir, d)}/*`),
        expected: expectedInBackupMode,
      });
      await session.close();
      return r;
    } catch (e) {
      session.abort();
      throw e;
    }
  }

  private async refuseTablespaces(s: PsqlSession): Promise<void> {
    const n = Number(
      (await s.query("SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')")).trim(),
    );
    if (n > 0)
      throw new SourceError(
        this.o.dataDir,
        `the cluster has ${n} tablespace(s) outside the data directory, which physical mode does not copy`,
        { hint: "use mode: snapshot (pg_basebackup) or back the tablespace directories up too" },
      );
  }

  /** data_dir must be the data directory of the server we put in backup mode, or the copy is of something else. */
  private async checkSameCluster(s: PsqlSession): Promise<void> {
    const control = join(this.o.dataDir, "global", "pg_control");
    const onDisk = await readFile(control).then(
      (b) => b.readBigUInt64LE(0).toString(),
      (e: Error) => {
        throw new SourceError(this.o.dataDir, `not a PostgreSQL data directory cairn can read (${e.message})`, {
          hint: "set data_dir to the cluster's data directory (SHOW data_directory) and run cairn as root or the postgres user",
        });
      },
    );
    const server = (await s.query("SELECT system_identifier FROM pg_control_system()")).trim();
    if (server !== onDisk)
      throw new SourceError(
        this.o.dataDir,
        `belongs to another cluster (system identifier ${onDisk}) than the server at ${pgWhere(this.o)} (${server})`,
        { hint: "point data_dir and host/port at the same cluster" },
      );
  }

  /** backup_label and the stop segment's name; pg_backup_stop switches to a new segment so the last one is complete. */
  private async stop(s: PsqlSession): Promise<{ label: string; stopWal: string }> {
    const out = await s.query(
      "SELECT pg_walfile_name(lsn) || ' ' || encode(convert_to(labelfile, 'UTF8'), 'base64') FROM pg_backup_stop(false)",
    );
    const [stopWal, ...b64] = out.trim().split(/\s+/);
    return { stopWal, label: Buffer.from(b64.join(""), "base64").toString("utf8") };
  }

  /** Data files first; backup_label (which stops the backup) and pg_wal after them. */
  private async entries(
    startWal: string,
    stop: () => Promise<{ label: string; stopWal: string }>,
  ): Promise<ComposedEntry[]> {
    const dir = this.o.dataDir;
    const names = (await readdir(dir)).filter((n) => !SKIP_TOP.has(n)).sort();
    const files: ComposedEntry[] = names.map((name) => ({ kind: "path", name, abs: join(dir, name) }));
    const labelMeta = await metaOf(join(dir, "PG_VERSION"));
    async function* label(): AsyncGenerator<Uint8Array> {
      yield Buffer.from((await stop()).label);
    }
    const wal = async (): Promise<ComposedEntry[]> => {
      const { stopWal } = await stop();
      const segs = (await readdir(join(dir, "pg_wal")))
        .filter((n) => WAL_FILE.test(n) && n >= startWal && n <= stopWal)
        .sort();
      const out: ComposedEntry[] = [
        { kind: "dir", name: "archive_status", entries: [], meta: await metaOf(join(dir, "pg_wal")) },
      ];
      for (const n of segs)
        out.push({
          kind: "stream",
          name: n,
          data: readLater(join(dir, "pg_wal", n)),
          meta: await metaOf(join(dir, "pg_wal", n)),
        });
      return out;
    };
    return [
      ...files,
      { kind: "stream", name: "backup_label", data: label(), meta: labelMeta },
      { kind: "dir", name: "pg_wal", entries: wal, meta: await metaOf(join(dir, "pg_wal")) },
    ];
  }
}

/**
 * In backup mode a file changing or vanishing during the copy is normal: WAL
 * replay from backup_label repairs it. A socket (when unix_socket_directories
 * is the data directory) is the server's, not data.
 */
function expectedInBackupMode(w: { message: string }): boolean {
  return (
    w.message.startsWith("file changed while it was being read") ||
    w.message.startsWith("socket skipped") ||
    /^(vanished or unreadable|cannot read file): ENOENT/.test(w.message)
  );
}

/** Ownership and mode, following a symlinked pg_wal to the directory it names. */
async function metaOf(path: string): Promise<EntryMeta> {
  const st = await stat(path);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}
