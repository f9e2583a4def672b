import { UsageError } from "../../core/errors.js";
import { TIMER } from "../../config/duration-bounds.js";
import type { BackupSource } from "../../sources/source.js";

export interface DumpFlags {
  dump?: string;
  dumpName?: string;
  dumpShell?: boolean;
  dumpTimeout?: string;
  source?: string;
}

/**
 * The source `cairn backup --dump CMD --dump-name NAME` or `--source YAML`
 * asks for, or undefined for a files backup. The database sources, the YAML
 * parser and the config schema load only when asked for: a files backup does
 * not pay for their start-up (docs/PERFORMANCE.md §Startup and per-command overheads).
 */
export async function dumpSourceFromFlags(o: DumpFlags, paths: readonly string[]): Promise<BackupSource | undefined> {
  if (o.source !== undefined) {
    if (paths.length > 0 || o.dump !== undefined) throw new UsageError("--source takes no paths and no --dump");
    const [{ createDbSource }, { parseSourceFlag }] = await Promise.all([
      import("../../jobs/create-db-source.js"),
      import("./source-flag.js"),
    ]);
    return createDbSource(parseSourceFlag(o.source));
  }
  if (o.dump === undefined) {
    if (o.dumpName !== undefined) throw new UsageError("--dump-name needs --dump");
    if (paths.length === 0) throw new UsageError("nothing to back up: give at least one path, or --dump");
    return undefined;
  }
  if (paths.length > 0) throw new UsageError("--dump backs up a command's output: give no paths with it");
  if (!o.dumpName)
    throw new UsageError("--dump needs --dump-name", {
      hint: "the file name the dump is stored as, e.g. --dump-name mydb.sql",
    });
  const timeout = o.dumpTimeout === undefined ? undefined : Number(o.dumpTimeout);
  if (timeout !== undefined && !(timeout > 0 && timeout * 1000 <= TIMER.ms))
    throw new UsageError(`--dump-timeout ${o.dumpTimeout} is not a number of seconds from 0 to ${TIMER.ms / 1000}`, {
      hint: `at most ${TIMER.shown}, ${TIMER.why}`,
    });
  const { DumpSource } = await import("../../sources/dump/dump-source.js");
  return new DumpSource({ command: o.dump, name: o.dumpName, shell: o.dumpShell, timeoutSeconds: timeout });
}
