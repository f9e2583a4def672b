import type { Readable } from "node:stream";
import { ChildCommand, type CommandLog } from "./child-command.js";
import type { CommandSpec } from "./command-spec.js";

/**
 * The stdout of a command as a byte stream that ends normally only when the
 * command exited 0: a non-zero exit, a signal or a timeout makes the stream
 * throw after its last bytes, so a truncated dump is never taken for a whole
 * one. Stopping early (the consumer failed) kills the command.
 */
export async function* commandOutput(spec: CommandSpec, log: CommandLog, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const cmd = new ChildCommand(spec, ["ignore", "pipe", "pipe"], log, signal);
  let done = false;
  try {
    for await (const b of cmd.child.stdout as Readable) yield b as Buffer;
    await cmd.exited;
    done = true;
  } finally {
    if (!done) cmd.kill();
  }
}
