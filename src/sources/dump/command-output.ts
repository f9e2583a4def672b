import type { Readable } from "node:stream";
import { ChildCommand, type CommandLog } from "../../exec/child-command.js";
import { SourceError } from "../../core/errors.js";
import { programName, showCommand, type CommandSpec } from "../../exec/command-spec.js";

/**
 * The stdout of a command as a byte stream that ends normally only when the
 * command exited 0: a non-zero exit, a signal or a timeout makes the stream
 * throw after its last bytes, so a truncated dump is never taken for a whole
 * one; so does an exit 0 with no output at all. Stopping early (the consumer
 * failed) kills the command.
 */
export async function* commandOutput(
  spec: CommandSpec,
  log: CommandLog,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const cmd = new ChildCommand(spec, ["ignore", "pipe", "pipe"], log, signal);
  let done = false;
  let bytes = 0;
  try {
    for await (const b of cmd.child.stdout as Readable) {
      bytes += (b as Buffer).length;
      yield b as Buffer;
    }
    await cmd.exited;
    // A command that exits 0 having written nothing (an exporter that only complained on stderr) made no backup.
    if (bytes === 0)
      throw new SourceError(
        programName(spec),
        `exited 0 but wrote nothing to stdout${cmd.stderrTail ? `: ${cmd.stderrTail}` : ""}`,
        { hint: `the command was: ${showCommand(spec)}; an empty dump is never recorded as a backup` },
      );
    done = true;
  } finally {
    if (!done) cmd.kill();
  }
}
