import { ChildCommand, type CommandLog } from "../exec/child-command.js";
import type { CommandSpec } from "../exec/command-spec.js";

/** Bound on a check query's kept output: a drill compares a short answer, not a table dump. */
const MAX_OUTPUT = 64 * 1024;

/** Run a command and return its stdout (at most 64 KiB kept); throws the command's failure (exit code, stderr) as SourceError. */
export async function captureOutput(spec: CommandSpec, log: CommandLog, signal?: AbortSignal): Promise<string> {
  const cmd = new ChildCommand(spec, ["ignore", "pipe", "pipe"], log, signal);
  let out = "";
  cmd.child.stdout?.on("data", (b: Buffer) => {
    if (out.length < MAX_OUTPUT) out += b.toString("utf8");
  });
  await cmd.exited;
  return out.slice(0, MAX_OUTPUT);
}
