import { UsageError } from "../errors.js";
import { createDbSource } from "../sources/create-db-source.js";
import { DumpSource } from "../sources/dump/dump-source.js";
import type { BackupSource } from "../sources/source.js";
import { parseSourceFlag } from "./source-flag.js";

export interface DumpFlags {
  dump?: string;
  dumpName?: string;
  dumpShell?: boolean;
  dumpTimeout?: string;
  source?: string;
}

/** The source `cairn backup --dump CMD --dump-name NAME` or `--source YAML` asks for, or undefined for a files backup. */
export function dumpSourceFromFlags(o: DumpFlags, paths: readonly string[]): BackupSource | undefined {
  if (o.source !== undefined) {
    if (paths.length > 0 || o.dump !== undefined) throw new UsageError("--source takes no paths and no --dump");
    return createDbSource(parseSourceFlag(o.source));
  }
  if (o.dump === undefined) {
    if (o.dumpName !== undefined) throw new UsageError("--dump-name needs --dump");
    if (paths.length === 0) throw new UsageError("nothing to back up: give at least one path, or --dump");
    return undefined;
  }
  if (paths.length > 0) throw new UsageError("--dump backs up a command's output: give no paths with it");
  if (!o.dumpName) throw new UsageError("--dump needs --dump-name", { hint: "the file name the dump is stored as, e.g. --dump-name mydb.sql" });
  const timeout = o.dumpTimeout === undefined ? undefined : Number(o.dumpTimeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError(`--dump-timeout ${o.dumpTimeout} is not a positive number of seconds`);
  return new DumpSource({ command: o.dump, name: o.dumpName, shell: o.dumpShell, timeoutSeconds: timeout });
}
