import { Command, CommanderError } from "commander";
import { CairnError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { backupCommand } from "./commands/backup.js";
import { checkCommand } from "./commands/check.js";
import { dumpCommand } from "./commands/dump.js";
import { forgetCommand } from "./commands/forget.js";
import { pruneCommand } from "./commands/prune.js";
import { initCommand } from "./commands/init.js";
import { keyCommand } from "./commands/key.js";
import { lsCommand } from "./commands/ls.js";
import { restoreCommand } from "./commands/restore.js";
import { snapshotsCommand } from "./commands/snapshots.js";
import { syncCommand } from "./commands/sync.js";
import { configCommand } from "./commands/config.js";
import { agentCommand } from "./commands/agent.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { drillCommand } from "./commands/drill.js";
import { terminalLines, terminalText } from "./shared/terminal-text.js";
import { retriesToStderr } from "./shared/storage-retries.js";

export function buildProgram(): Command {
  const program = new Command("cairn")
    .description("encrypted, deduplicating backups for offsite disaster recovery")
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  for (const c of [
    keyCommand(),
    initCommand(),
    backupCommand(),
    snapshotsCommand(),
    lsCommand(),
    restoreCommand(),
    dumpCommand(),
    checkCommand(),
    forgetCommand(),
    pruneCommand(),
    syncCommand(),
    configCommand(),
    agentCommand(),
    runCommand(),
    statusCommand(),
    drillCommand(),
  ]) {
    program.addCommand(c);
  }
  for (const c of program.commands) exitOverrideDeep(c);
  return program;
}

function exitOverrideDeep(c: Command): void {
  c.exitOverride();
  for (const s of c.commands) exitOverrideDeep(s);
}

/**
 * The one place errors become exit codes: 0 ok, 1 runtime failure, 2 usage or
 * config error, 3 backup written but some files unreadable; `cairn status`
 * sets 4 to 6 for what it finds (cli/shared/status-problems.ts).
 */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  // `cairn snapshots | head`: a reader that goes away must not crash a run whose work is already done.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
  retriesToStderr();
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof CairnError) {
    // Messages quote what the user gave and what storage returned: escaped for the terminal, line breaks kept.
    process.stderr.write(`cairn: ${terminalLines(e.message)}\n${e.hint ? `  hint: ${terminalLines(e.hint)}\n` : ""}`);
    if (process.env.CAIRN_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOSPC") {
    process.stderr.write(
      `cairn: no space left on device${err.path ? ` (${terminalText(String(err.path))})` : ""}: ${terminalLines(err.message)}\n  hint: free space and run again; nothing partial was recorded\n`,
    );
    return 1;
  }
  process.stderr.write(`cairn: unexpected error: ${terminalLines(err?.stack ?? String(e))}\n`);
  return 1;
}
