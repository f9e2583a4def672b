import type { DbSourceConfig } from "../sources/db-source-schema.js";
import { DumpSource } from "../sources/dump/dump-source.js";
import type { CommandLog } from "../exec/child-command.js";
import { mysqlLogicalSource } from "../sources/mysql/mysql-logical.js";
import type { MysqlConnection } from "../sources/mysql/mysql-connection.js";
import { mysqlPhysicalSource } from "../sources/mysql/mysql-physical.js";
import type { PgConnection } from "../sources/postgres/pg-connection.js";
import { pgLogicalSource } from "../sources/postgres/pg-logical.js";
import { PgPhysicalSource } from "../sources/postgres/pg-physical.js";
import { pgSnapshotSource } from "../sources/postgres/pg-snapshot.js";
import { SnapshotSource } from "../sources/snapshot/snapshot-source.js";
import type { BackupSource } from "../sources/source.js";
import { SqliteSource } from "../sources/sqlite/sqlite-source.js";

/** A validated dump/snapshot/postgres/mysql/sqlite `source:` section -> its BackupSource. */
export function createDbSource(c: DbSourceConfig, log?: CommandLog): BackupSource {
  switch (c.type) {
    case "dump":
      return new DumpSource({
        command: c.command,
        name: c.name,
        shell: c.shell,
        env: c.env,
        timeoutSeconds: c.timeout_seconds,
        log,
      });
    case "snapshot":
      return new SnapshotSource({
        prepare: c.prepare,
        paths: c.paths,
        cleanup: c.cleanup,
        shell: c.shell,
        env: c.env,
        excludes: c.exclude,
        timeoutSeconds: c.timeout_seconds,
        log,
      });
    case "postgres":
      return postgresSource(c, log);
    case "mysql": {
      const o = { ...mysqlConnection(c), name: c.name, timeoutSeconds: c.timeout_seconds, log };
      return c.mode === "physical"
        ? mysqlPhysicalSource({ ...o, dataDir: c.data_dir })
        : mysqlLogicalSource({ ...o, database: c.database ?? "", extraArgs: c.extra_args });
    }
    case "sqlite":
      return new SqliteSource({
        path: c.path,
        method: c.method,
        name: c.name,
        tmpDir: c.tmp_dir,
        timeoutSeconds: c.timeout_seconds,
        log,
      });
  }
}

function postgresSource(c: Extract<DbSourceConfig, { type: "postgres" }>, log?: CommandLog): BackupSource {
  const conn = pgConnection(c);
  if (c.mode === "physical") return new PgPhysicalSource({ ...conn, dataDir: c.data_dir ?? "", log });
  if (c.mode === "snapshot") return pgSnapshotSource({ ...conn, name: c.name, timeoutSeconds: c.timeout_seconds, log });
  return pgLogicalSource({
    ...conn,
    database: c.database ?? "",
    name: c.name,
    extraArgs: c.extra_args,
    timeoutSeconds: c.timeout_seconds,
    log,
  });
}

export function pgConnection(c: {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  password_file?: string;
}): PgConnection {
  return { host: c.host, port: c.port, user: c.user, password: c.password, passwordFile: c.password_file };
}

export function mysqlConnection(c: {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  option_file?: string;
  socket?: string;
}): MysqlConnection {
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    optionFile: c.option_file,
    socket: c.socket,
  };
}
