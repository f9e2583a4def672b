import { UsageError } from "../../core/errors.js";
import type { Repository } from "../../repository/repository.js";
import type { Snapshot } from "../../repository/format/snapshot-record.js";
import { dumpToCommand } from "../../restore/dump-to-command.js";
import { humanBytes, printJson } from "./print.js";
import { terminalText } from "./terminal-text.js";

export interface RestoreDumpFlags {
  dumpName?: string;
  toCommand?: string;
  toCommandShell?: boolean;
  json?: boolean;
}

/** `cairn restore SNAP --dump-name NAME --to-command CMD`: the dump file streamed into the command's stdin. */
export async function restoreDumpToCommand(
  repo: Repository,
  snap: Snapshot,
  o: RestoreDumpFlags,
  signal: AbortSignal,
): Promise<void> {
  if (!o.dumpName) throw new UsageError("--to-command needs --dump-name");
  if (!o.toCommand)
    throw new UsageError("--dump-name needs --to-command", {
      hint: "to write the dump to stdout instead: cairn dump SNAPSHOT NAME",
    });
  const log = (l: string) => process.stderr.write(`${terminalText(l)}\n`);
  const bytes = await dumpToCommand(
    repo,
    snap.tree,
    o.dumpName,
    { command: o.toCommand, shell: o.toCommandShell },
    log,
    signal,
  );
  if (o.json) printJson({ type: "summary", snapshot: snap.id, file: o.dumpName, bytes });
  else
    process.stdout.write(
      `restored ${terminalText(o.dumpName)} of snapshot ${snap.id.slice(0, 8)} into \`${terminalText(o.toCommand)}\`: ${humanBytes(bytes)}\n`,
    );
}
