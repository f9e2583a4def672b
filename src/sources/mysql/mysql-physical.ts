import { tmpdir } from "node:os";
import { DumpSource } from "../dump/dump-source.js";
import type { CommandLog } from "../../exec/child-command.js";
import type { CommandSpec } from "../../exec/command-spec.js";
import { mysqlArgs, mysqlEnv, mysqlWhere, type MysqlConnection } from "./mysql-connection.js";

export interface MysqlPhysicalOptions extends MysqlConnection {
  /** The server's data directory when mariadb-backup cannot ask the server for it. */
  dataDir?: string;
  /** File name in the snapshot; default `backup.xbstream`. */
  name?: string;
  timeoutSeconds?: number;
  log?: CommandLog;
}

/**
 * The exact mariadb-backup argv: a hot copy of every InnoDB/Aria file plus
 * the redo log written meanwhile, as one xbstream on stdout. --target-dir is
 * only its scratch space (checkpoint files); nothing big is written there.
 */
export function mariadbBackupCommand(o: MysqlPhysicalOptions): CommandSpec {
  const command = ["mariadb-backup", ...mysqlArgs(o), "--backup", "--stream=xbstream", `--target-dir=${tmpdir()}`];
  if (o.dataDir) command.push(`--datadir=${o.dataDir}`);
  return { command, env: mysqlEnv(o), timeoutSeconds: o.timeoutSeconds };
}

/** The three restore steps, in order, for a stream stored as `name`: unpack into `work`, prepare there, copy back into the empty `dataDir`. */
export function mariadbRestoreSteps(
  work: string,
  dataDir: string,
): { unpack: CommandSpec; prepare: CommandSpec; copyBack: CommandSpec } {
  return {
    unpack: { command: ["mbstream", "--extract", `--directory=${work}`] },
    prepare: { command: ["mariadb-backup", "--prepare", `--target-dir=${work}`] },
    copyBack: { command: ["mariadb-backup", "--copy-back", `--target-dir=${work}`, `--datadir=${dataDir}`] },
  };
}

/** MySQL/MariaDB physical backup: `mariadb-backup --backup --stream=xbstream` stored as `backup.xbstream`. */
export function mysqlPhysicalSource(o: MysqlPhysicalOptions): DumpSource {
  const name = o.name ?? "backup.xbstream";
  return new DumpSource({
    ...mariadbBackupCommand(o),
    name,
    log: o.log,
    description: `mysql physical (mariadb-backup) of ${mysqlWhere(o)} -> ${name}`,
  });
}
