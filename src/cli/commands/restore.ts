import { Command } from "commander";
import { restoreSnapshot } from "../../restore/restore-tree.js";
import { UsageError } from "../../core/errors.js";
import { repoOptions } from "../shared/repo-options.js";
import { humanBytes, printJson } from "../shared/print.js";
import { onInterrupt } from "../shared/signals.js";
import { restoreDumpToCommand, type RestoreDumpFlags } from "../shared/restore-dump.js";
import { restoreBySource } from "../../jobs/restore-by-source.js";
import { prepareTargetDir } from "../shared/target-dir.js";
import { openRestoreTarget, type ConfigRestoreFlags } from "../shared/config-restore.js";
import { terminalText } from "../shared/terminal-text.js";

interface RestoreOpts extends ConfigRestoreFlags, RestoreDumpFlags {
  database?: string;
  target?: string;
  include: string[];
}

export function restoreCommand(): Command {
  const cmd = new Command("restore")
    .description("restore a snapshot into a directory (needs the identity)")
    .argument("<snapshot>", "snapshot id (prefix) or latest; with --config: the job")
    .argument("[job-snapshot]", "with --config: the job's snapshot (default: its latest)");
  return repoOptions(cmd)
    .option("-t, --target <dir>", "directory to restore into (created if missing; should be empty)")
    .option(
      "--include <path>",
      "restore only this path of the snapshot (repeatable)",
      (v: string, a: string[]) => [...a, v],
      [] as string[],
    )
    .option("--json", "JSON output")
    .option(
      "--dump-name <name>",
      "stream this file of the snapshot (a dump) into --to-command instead of restoring files",
    )
    .option(
      "--to-command <command>",
      'command that reads the dump on stdin, e.g. "psql mydb2" (no shell unless --to-command-shell)',
    )
    .option("--to-command-shell", "run --to-command with /bin/sh -c")
    .option(
      "--source <yaml>",
      "restore the way this source (a config `source:` section) says: into the database, or a data directory into --target",
    )
    .option(
      "--database <name>",
      "with --source of a logical dump: replay into this (existing, empty) database instead of the one dumped",
    )
    .option(
      "-c, --config <file>",
      "restore JOB of this agent config the way its source says (into the database, or a data directory into --target)",
    )
    .option(
      "--repository <name>",
      "with --config: which of the job's repositories to restore from (default: its first)",
    )
    .action(async (ref: string, jobSnapshot: string | undefined, o: RestoreOpts) => {
      const toCommand = o.dumpName !== undefined || o.toCommand !== undefined;
      if (!o.target && !toCommand && !o.source && !o.config) throw new UsageError("--target is required");
      const { repo, snap, source } = await openRestoreTarget(o, ref, jobSnapshot);
      // Fail on a wrong identity (or a damaged root tree) before the target is created: nothing is written.
      await repo.loadTree(snap.tree);
      const abort = new AbortController();
      const off = onInterrupt(abort);
      try {
        if (toCommand) return await restoreDumpToCommand(repo, snap, o, abort.signal);
        if (source) {
          const done = await restoreBySource(repo, snap, source, {
            target: o.target,
            database: o.database,
            signal: abort.signal,
            log: (l) => process.stderr.write(`${terminalText(l)}\n`),
          });
          return void process.stdout.write(`snapshot ${snap.id.slice(0, 8)}: ${terminalText(done)}\n`);
        }
        prepareTargetDir(o.target!);
        const r = await restoreSnapshot(repo, snap.tree, o.target!, {
          include: o.include.length ? o.include : undefined,
          signal: abort.signal,
          onWarning: (w) =>
            o.json
              ? printJson({ type: "warning", ...w })
              : process.stderr.write(`warning: ${terminalText(w.path)}: ${terminalText(w.message)}\n`),
        });
        if (o.json) printJson({ type: "summary", snapshot: snap.id, ...r });
        else {
          process.stdout.write(
            `restored snapshot ${snap.id.slice(0, 8)} to ${terminalText(o.target!)}: ${r.files} files, ${r.dirs} dirs, ${humanBytes(r.bytes)}\n`,
          );
          for (const e of r.errors)
            process.stderr.write(`error: ${terminalText(e.path)}: ${terminalText(e.message)}\n`);
        }
        if (r.errors.length > 0) process.exitCode = 1;
      } finally {
        off();
      }
    });
}
