import type { Writable } from "node:stream";
import type { BlobId } from "../core/ids.js";
import { ChildCommand, type CommandLog } from "../exec/child-command.js";
import type { CommandSpec } from "../exec/command-spec.js";
import { dumpFile } from "./dump-file.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";

/**
 * Streams one file of a snapshot (a dump) into a command's stdin — `psql
 * mydb2`, `mariadb shop`, `tar -x -C dir` — and waits for it. The command's
 * stdout and stderr go to cairn's stderr (stdout stays clean for --json).
 * Throws the command's own failure (exit code, stderr) over a broken pipe:
 * when it exits early, that is the reason worth reading.
 */
export async function dumpToCommand(
  reader: SnapshotReader,
  root: BlobId,
  path: string,
  spec: CommandSpec,
  log: CommandLog,
  signal?: AbortSignal,
): Promise<number> {
  const cmd = new ChildCommand(spec, ["pipe", "pipe", "pipe"], log, signal);
  cmd.child.stdout?.on("data", (b: Buffer) => process.stderr.write(b));
  const stdin = cmd.child.stdin as Writable;
  const pipeBroken = new Promise<never>((_, reject) => stdin.on("error", reject));
  pipeBroken.catch(() => undefined);
  let written: number;
  try {
    written = await Promise.race([dumpFile(reader, root, path, stdin), pipeBroken]);
  } catch (e) {
    stdin.destroy();
    const failed = await cmd.exited.then(
      () => undefined,
      (err: unknown) => err,
    );
    // A broken pipe means the command quit early: its own failure is the reason worth reading.
    throw isPipeError(e) && failed ? failed : e;
  }
  stdin.end();
  await cmd.exited;
  return written;
}

function isPipeError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ECONNRESET";
}
