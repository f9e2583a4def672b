import { DumpSource } from "../dump/dump-source.js";
import type { CommandLog } from "../../exec/child-command.js";
import type { CommandSpec } from "../../exec/command-spec.js";
import { pgArgs, pgEnv, pgWhere, type PgConnection } from "./pg-connection.js";

export interface PgLogicalOptions extends PgConnection {
  database: string;
  /** File name in the snapshot; default `<database>.sql`. */
  name?: string;
  /** Extra pg_dump flags (e.g. ["--exclude-table=audit_log"]). */
  extraArgs?: readonly string[];
  timeoutSeconds?: number;
  log?: CommandLog;
}

/** The exact pg_dump argv: plain SQL (so consecutive dumps deduplicate), one transaction-consistent snapshot. */
export function pgDumpCommand(o: PgLogicalOptions): CommandSpec {
  return {
    command: ["pg_dump", "--format=plain", ...pgArgs(o), ...(o.extraArgs ?? []), "--dbname", o.database],
    env: pgEnv(o),
    timeoutSeconds: o.timeoutSeconds,
  };
}

/** psql replaying a plain dump into `database`, stopping at the first error, all or nothing; query results (set_config rows) discarded, errors still on stderr. */
export function pgRestoreCommand(c: PgConnection, database: string): CommandSpec {
  return {
    command: [
      "psql",
      "--quiet",
      "--no-psqlrc",
      "--output=/dev/null",
      "--set",
      "ON_ERROR_STOP=1",
      "--single-transaction",
      ...pgArgs(c),
      "--dbname",
      database,
    ],
    env: pgEnv(c),
  };
}

/** PostgreSQL logical backup: `pg_dump --format=plain` streamed into the snapshot as `<database>.sql`. */
export function pgLogicalSource(o: PgLogicalOptions): DumpSource {
  const name = o.name ?? `${o.database}.sql`;
  return new DumpSource({
    ...pgDumpCommand(o),
    name,
    log: o.log,
    description: `postgres logical ${o.database} on ${pgWhere(o)} -> ${name}`,
  });
}
