import { chmod, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CairnError, UsageError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import type { Repository } from "../repository/repository.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { dumpToCommand } from "../restore/dump-to-command.js";
import { restoreSnapshot } from "../restore/restore-tree.js";
import type { DbSourceConfig } from "../sources/db-source-schema.js";
import { mysqlConnection, pgConnection } from "./create-db-source.js";
import type { CommandLog } from "../exec/child-command.js";
import type { CommandSpec } from "../exec/command-spec.js";
import { runCommand } from "../exec/run-command.js";
import { mysqlRestoreCommand } from "../sources/mysql/mysql-logical.js";
import { mariadbRestoreSteps } from "../sources/mysql/mysql-physical.js";
import { pgRestoreCommand } from "../sources/postgres/pg-logical.js";
import { pgSnapshotRestoreCommand } from "../sources/postgres/pg-snapshot.js";

export interface SourceRestoreOptions {
  /** Directory for physical/snapshot/sqlite restores (must be empty or absent for database directories). */
  target?: string;
  /** Database to replay a logical dump into (default: the one dumped). */
  database?: string;
  signal: AbortSignal;
  log: CommandLog;
}

/**
 * Restore a snapshot the way its source kind says: a logical dump replayed
 * into the database, a data directory unpacked (and for MariaDB prepared and
 * copied back) into an empty directory, a snapshot's files put back and its
 * restore command run. Returns a one-line account for the user.
 */
export async function restoreBySource(
  repo: Repository,
  snap: Snapshot,
  c: DbSourceConfig,
  o: SourceRestoreOptions,
): Promise<string> {
  const tree = snap.tree;
  const pipe = (name: string, spec: Parameters<typeof dumpToCommand>[3]) =>
    dumpToCommand(repo, tree, name, spec, o.log, o.signal);
  switch (c.type) {
    case "dump": {
      if (!c.restore)
        throw new UsageError(`this dump source has no restore command`, {
          hint: `add restore: "..." to the source, or run: cairn restore SNAPSHOT --dump-name ${c.name} --to-command "..."`,
        });
      return `replayed ${c.name}: ${await pipe(c.name, { command: c.restore, shell: c.shell, env: c.env })} bytes`;
    }
    case "snapshot":
      return restoreFiles(repo, tree, o, c.restore ? { command: c.restore, shell: c.shell, env: c.env } : undefined);
    case "sqlite":
      return restoreFiles(repo, tree, o);
    case "postgres":
      return restorePostgres(repo, tree, c, o, pipe);
    case "mysql":
      if (c.mode === "logical") {
        const db = o.database ?? c.database ?? "";
        const r = logicalReplay(c, db);
        return `replayed into database ${db}: ${await pipe(r.name, r.spec)} bytes`;
      }
      return restoreMariadbPhysical(c.name ?? "backup.xbstream", await emptyTarget(o), o, pipe);
  }
}

export type LogicalDbSource = Extract<DbSourceConfig, { type: "postgres" | "mysql" }>;

/** A logical postgres/mysql source's dump file in the snapshot and the client command that replays it into `database`. */
export function logicalReplay(c: LogicalDbSource, database: string): { name: string; spec: CommandSpec } {
  const name = c.name ?? `${c.database}.sql`;
  return {
    name,
    spec:
      c.type === "postgres"
        ? pgRestoreCommand(pgConnection(c), database)
        : mysqlRestoreCommand(mysqlConnection(c), database),
  };
}

type Pipe = (name: string, spec: Parameters<typeof dumpToCommand>[3]) => Promise<number>;

async function restorePostgres(
  repo: Repository,
  tree: BlobId,
  c: Extract<DbSourceConfig, { type: "postgres" }>,
  o: SourceRestoreOptions,
  pipe: Pipe,
): Promise<string> {
  if (c.mode === "logical") {
    const db = o.database ?? c.database ?? "";
    const r = logicalReplay(c, db);
    return `replayed into database ${db}: ${await pipe(r.name, r.spec)} bytes`;
  }
  const target = await emptyTarget(o);
  if (c.mode === "snapshot") await pipe(c.name ?? "base.tar", pgSnapshotRestoreCommand(target));
  else await restoreTree(repo, tree, target, o);
  await chmod(target, 0o700); // the server refuses a data directory others can read
  return `data directory restored to ${target}; chown -R postgres:postgres it, then start the server on it (it replays the stored WAL first)`;
}

async function restoreMariadbPhysical(
  name: string,
  target: string,
  o: SourceRestoreOptions,
  pipe: Pipe,
): Promise<string> {
  // The stream is unpacked and prepared beside the target: same filesystem, and never inside the new data directory.
  const work = await mkdtemp(join(dirname(target), ".cairn-mariadb-"));
  try {
    const steps = mariadbRestoreSteps(work, target);
    await pipe(name, steps.unpack);
    await runCommand(steps.prepare, o.log, o.signal);
    await runCommand(steps.copyBack, o.log, o.signal);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return `data directory restored to ${target}; chown -R mysql:mysql it, then start the server on it`;
}

async function restoreFiles(
  repo: Repository,
  tree: BlobId,
  o: SourceRestoreOptions,
  after?: Parameters<typeof runCommand>[0],
): Promise<string> {
  if (!o.target) throw new UsageError("--target is required to restore this source's files");
  const target = resolve(o.target);
  const r = await restoreTree(repo, tree, target, o);
  if (after) await runCommand({ ...after, env: { ...after.env, CAIRN_RESTORE_DIR: target } }, o.log, o.signal);
  return `restored ${r.files} files to ${target}${after ? " and ran the restore command" : ""}`;
}

async function restoreTree(
  repo: Repository,
  tree: BlobId,
  target: string,
  o: SourceRestoreOptions,
): Promise<{ files: number }> {
  const r = await restoreSnapshot(repo, tree, target, {
    signal: o.signal,
    onWarning: (w) => o.log(`warning: ${w.path}: ${w.message}`),
  });
  if (r.errors.length > 0)
    throw new CairnError(
      "E_RESTORE",
      `${r.errors.length} entries could not be restored, first: ${r.errors[0].path}: ${r.errors[0].message}`,
    );
  return r;
}

/** A database directory is only restored into an empty (or new) directory: never over a live one. */
async function emptyTarget(o: SourceRestoreOptions): Promise<string> {
  if (!o.target) throw new UsageError("--target is required: the new, empty data directory");
  const target = resolve(o.target);
  await mkdir(target, { recursive: true });
  if ((await readdir(target)).length > 0)
    throw new UsageError(`${target} is not empty`, {
      hint: "restore a data directory into a new or empty directory, never over a live one",
    });
  return target;
}
