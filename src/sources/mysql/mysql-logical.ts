import { DumpSource } from "../dump/dump-source.js";
import type { CommandLog } from "../../exec/child-command.js";
import type { CommandSpec } from "../../exec/command-spec.js";
import { mysqlArgs, mysqlEnv, mysqlWhere, type MysqlConnection } from "./mysql-connection.js";

export interface MysqlLogicalOptions extends MysqlConnection {
  database: string;
  /** File name in the snapshot; default `<database>.sql`. */
  name?: string;
  extraArgs?: readonly string[];
  timeoutSeconds?: number;
  log?: CommandLog;
}

/**
 * The exact mariadb-dump argv: one consistent InnoDB snapshot without locking
 * (--single-transaction), with routines, triggers and events, blobs as hex
 * (safe through any client charset), no CREATE DATABASE so it restores under
 * another name.
 */
export function mysqlDumpCommand(o: MysqlLogicalOptions): CommandSpec {
  const flags = [
    "--single-transaction",
    "--routines",
    "--triggers",
    "--events",
    "--hex-blob",
    "--default-character-set=utf8mb4",
  ];
  return {
    command: ["mariadb-dump", ...mysqlArgs(o), ...flags, ...(o.extraArgs ?? []), o.database],
    env: mysqlEnv(o),
    timeoutSeconds: o.timeoutSeconds,
  };
}

/** The mariadb client replaying a dump into `database`, stopping at the first error. */
export function mysqlRestoreCommand(c: MysqlConnection, database: string): CommandSpec {
  return { command: ["mariadb", ...mysqlArgs(c), "--default-character-set=utf8mb4", database], env: mysqlEnv(c) };
}

/** MySQL/MariaDB logical backup: mariadb-dump streamed into the snapshot as `<database>.sql`. */
export function mysqlLogicalSource(o: MysqlLogicalOptions): DumpSource {
  const name = o.name ?? `${o.database}.sql`;
  return new DumpSource({
    ...mysqlDumpCommand(o),
    name,
    log: o.log,
    description: `mysql logical ${o.database} on ${mysqlWhere(o)} -> ${name}`,
  });
}
