import { randomBytes } from "node:crypto";
import { mysqlConnection, pgConnection } from "../jobs/create-db-source.js";
import type { CommandSpec } from "../exec/command-spec.js";
import { mysqlArgs, mysqlEnv } from "../sources/mysql/mysql-connection.js";
import { pgArgs, pgEnv } from "../sources/postgres/pg-connection.js";
import type { LogicalDbSource } from "../jobs/restore-by-source.js";

/** PostgreSQL truncates identifiers at 63 bytes, MariaDB refuses more than 64. */
const MAX_NAME = 63;

/** The client commands of one drill's scratch database, on the source's own server and credentials. */
export interface ScratchDatabase {
  name: string;
  create: CommandSpec;
  drop: CommandSpec;
  query(sql: string): CommandSpec;
}

/**
 * A new database name no one else uses: `cairn_drill_<job>_<16 hex>`, only
 * [a-z0-9_] so it needs no quoting; random, so two drills (or a drill left
 * behind by a killed agent) never meet, and never the live database's name.
 */
export function scratchName(job: string): string {
  const tag = randomBytes(8).toString("hex");
  const stem = `cairn_drill_${job.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`.slice(0, MAX_NAME - tag.length - 1);
  return `${stem}_${tag}`;
}

/**
 * Create, drop and query commands. PostgreSQL's are issued from the
 * maintenance database `postgres` (a database cannot be dropped from inside
 * itself); the drop forces out any connection a killed replay left behind
 * (PostgreSQL 13 or later).
 */
export function scratchDatabase(c: LogicalDbSource, job: string): ScratchDatabase {
  const name = scratchName(job);
  if (c.type === "postgres") {
    const conn = pgConnection(c);
    const psql = (db: string, sql: string): CommandSpec => ({
      command: [
        "psql",
        "--no-psqlrc",
        "--quiet",
        "--no-align",
        "--tuples-only",
        "--set",
        "ON_ERROR_STOP=1",
        ...pgArgs(conn),
        "--dbname",
        db,
        "--command",
        sql,
      ],
      env: pgEnv(conn),
      timeoutSeconds: c.timeout_seconds,
    });
    return {
      name,
      create: psql("postgres", `CREATE DATABASE ${name}`),
      drop: psql("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      query: (sql) => psql(name, sql),
    };
  }
  const conn = mysqlConnection(c);
  const mariadb = (sql: string, db?: string): CommandSpec => ({
    command: [
      "mariadb",
      ...mysqlArgs(conn),
      "--batch",
      "--skip-column-names",
      "--default-character-set=utf8mb4",
      "--execute",
      sql,
      ...(db ? [db] : []),
    ],
    env: mysqlEnv(conn),
    timeoutSeconds: c.timeout_seconds,
  });
  return {
    name,
    create: mariadb(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`),
    drop: mariadb(`DROP DATABASE IF EXISTS ${name}`),
    query: (sql) => mariadb(sql, name),
  };
}
