import { ChildCommand, type CommandLog } from "./child-command.js";
import type { CommandSpec } from "./command-spec.js";
import { processSecrets } from "./secret-mask.js";

/** Run a command to completion (a prepare, cleanup or restore hook), logging its stdout and stderr (secrets masked); throws SourceError when it fails. */
export async function runCommand(spec: CommandSpec, log: CommandLog, signal?: AbortSignal): Promise<void> {
  const cmd = new ChildCommand(spec, ["ignore", "pipe", "pipe"], log, signal);
  let partial = "";
  cmd.child.stdout?.on("data", (b: Buffer) => {
    const lines = (partial + b.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) log(processSecrets.mask(l));
  });
  await cmd.exited.finally(() => partial && log(processSecrets.mask(partial)));
}
