import { DumpSource } from "../dump/dump-source.js";
import type { CommandLog } from "../../exec/child-command.js";
import type { CommandSpec } from "../../exec/command-spec.js";
import { pgArgs, pgEnv, pgWhere, type PgConnection } from "./pg-connection.js";

export interface PgSnapshotOptions extends PgConnection {
  /** File name in the snapshot; default `base.tar`. */
  name?: string;
  timeoutSeconds?: number;
  log?: CommandLog;
}

/**
 * The exact pg_basebackup argv: the whole cluster as one tar on stdout, with
 * the WAL needed to make it consistent fetched into the same tar (-X fetch),
 * after an immediate checkpoint.
 */
export function pgBasebackupCommand(o: PgSnapshotOptions): CommandSpec {
  return {
    command: ["pg_basebackup", ...pgArgs(o), "--pgdata=-", "--format=tar", "--wal-method=fetch", "--checkpoint=fast"],
    env: pgEnv(o),
    timeoutSeconds: o.timeoutSeconds,
  };
}

/** Unpacks the stored tar into a fresh data directory. */
export function pgSnapshotRestoreCommand(dataDir: string): CommandSpec {
  return { command: ["tar", "--extract", "--file=-", "--directory", dataDir] };
}

/** PostgreSQL snapshot backup: pg_basebackup's tar stream stored as `base.tar`. */
export function pgSnapshotSource(o: PgSnapshotOptions): DumpSource {
  const name = o.name ?? "base.tar";
  return new DumpSource({
    ...pgBasebackupCommand(o),
    name,
    log: o.log,
    description: `postgres snapshot (pg_basebackup) of ${pgWhere(o)} -> ${name}`,
  });
}
