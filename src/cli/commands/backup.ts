import { Command, Option } from "commander";
import { backupPaths, type BackupOptions } from "../../pipeline/backup.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { humanBytes, printJson } from "../shared/print.js";
import { cacheRoot, repositoryCacheDir } from "../../jobs/cache-dir.js";
import { ProgressDisplay } from "../shared/progress-display.js";
import { onInterrupt } from "../shared/signals.js";
import { scanSize } from "../../fs/scan-size.js";
import { ExcludeMatcher } from "../../fs/exclude.js";
import { excludePatternProblem } from "../../fs/exclude-pattern.js";
import { UsageError } from "../../core/errors.js";
import { parseSnapshotTime } from "../shared/snapshot-time.js";
import { dumpSourceFromFlags, type DumpFlags } from "../shared/dump-flags.js";
import { terminalText } from "../shared/terminal-text.js";

interface BackupOpts extends RepoOpts, DumpFlags {
  host?: string;
  tag: string[];
  time?: string;
  exclude: string[];
  noCache?: boolean;
  cache?: boolean;
}

/** Exit code when the snapshot was written but some files could not be read. */
export const EXIT_PARTIAL = 3;

/** A pattern the matcher cannot use is refused while the flags are read, before the repository is opened. */
function excludeFlag(pattern: string): string {
  const problem = excludePatternProblem(pattern);
  if (problem) throw new UsageError(`--exclude: ${problem}`, { hint: "e.g. --exclude '*.tmp' or --exclude cache/" });
  return pattern;
}

export function backupCommand(): Command {
  const cmd = new Command("backup")
    .description("back up files and directories (or a dump command's output, --dump) as a new snapshot")
    .argument("[path...]");
  repoOptions(cmd)
    .option("--host <name>", "host name recorded in the snapshot (default: this machine's)")
    .option("--tag <tag>", "tag (repeatable)", (v: string, a: string[]) => [...a, v], [] as string[])
    .option("--time <iso>", "snapshot time (default: now): ISO 8601 in the years 0000-9999, e.g. 2026-01-31T12:00:00Z")
    .option(
      "--exclude <glob>",
      "exclude pattern (repeatable)",
      (v: string, a: string[]) => [...a, excludeFlag(v)],
      [] as string[],
    )
    .option("--no-cache", "do not use or write the local parent cache (re-reads every file)")
    .addOption(new Option("--json", "progress and summary as JSON lines"))
    .option(
      "--dump <command>",
      'back up this command\'s stdout as one file (e.g. "pg_dump mydb"); no snapshot unless it exits 0',
    )
    .option("--dump-name <name>", "file name of the --dump output in the snapshot (e.g. mydb.sql)")
    .option("--dump-shell", "run --dump with /bin/sh -c (pipes, globs); default: split into words, no shell")
    .option("--dump-timeout <seconds>", "kill the --dump command and fail after this long")
    .option(
      "--source <yaml>",
      "back up a database or snapshot source given as a config `source:` section, e.g. '{type: postgres, mode: snapshot}' (docs/DATABASES.md)",
    )
    .action(async (paths: string[], o: BackupOpts) => {
      const dump = await dumpSourceFromFlags(o, paths);
      const time = o.time === undefined ? undefined : parseSnapshotTime(o.time);
      const repo = await openRepo(o);
      const display = new ProgressDisplay(o.json === true);
      const abort = new AbortController();
      const off = onInterrupt(abort);
      if (display.wantsTotal && !dump)
        void scanSize(paths, new ExcludeMatcher(o.exclude), abort.signal).then((n) => display.setTotal(n));
      try {
        const opts: BackupOptions = {
          host: o.host,
          tags: o.tag,
          time,
          excludes: o.exclude,
          cacheDir: o.cache === false ? undefined : repositoryCacheDir(cacheRoot(o.cacheDir), repo.config.id),
          signal: abort.signal,
          onProgress: (c) => display.update(c),
          onWarning: (w) =>
            o.json
              ? printJson({ type: "warning", ...w })
              : process.stderr.write(`\rwarning: ${terminalText(w.path)}: ${terminalText(w.message)}\n`),
          // Not a partial backup (exit 0): every file was stored; only the next backup's speed-up is lost.
          onCacheProblem: (p) =>
            o.json
              ? printJson({ type: "cache_warning", message: p.message, hint: p.hint })
              : process.stderr.write(
                  `\rwarning: ${terminalText(p.message)}; backing up without it\nhint: ${terminalText(p.hint ?? "")}\n`,
                ),
        };
        const r = dump ? await dump.backup(repo, opts) : await backupPaths(repo, paths, opts);
        display.done();
        abort.abort(); // stops the size scan if it is still running
        const s = r.summary;
        if (o.json) printJson({ type: "summary", snapshot: r.snapshotId, ...s, unreadable: r.warnings });
        else {
          process.stdout.write(
            `snapshot ${r.snapshotId.slice(0, 8)} saved\n` +
              `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged; ${s.dirs} dirs\n` +
              `read ${humanBytes(s.bytesRead)} of ${humanBytes(s.bytesTotal)}; added ${humanBytes(s.bytesAdded)} (${humanBytes(s.bytesStored)} stored) in ${s.packsUploaded} packs; ${s.durationSeconds.toFixed(1)} s\n`,
          );
          if (r.warnings.length > 0)
            process.stdout.write(
              `${r.warnings.length} item(s) could not be backed up:\n${r.warnings.map((w) => `  ${terminalText(w.path)}: ${terminalText(w.message)}\n`).join("")}`,
            );
        }
        if (r.warnings.length > 0) process.exitCode = EXIT_PARTIAL;
      } finally {
        off();
      }
    });
  return cmd;
}
