import { Command, Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { openRepositoryStorage } from "../../jobs/open-repository.js";
import { damagedSourceError, syncRepository } from "../../jobs/sync-repository.js";
import { humanBytes, printJson } from "../shared/print.js";
import { addStorageFlags, storageSettingsFromFlags, type StorageFlags } from "../shared/storage-flags.js";
import { terminalText } from "../shared/terminal-text.js";

interface SyncOpts extends StorageFlags {
  from?: string;
  to?: string;
  concurrency?: string;
  json?: boolean;
}

export function syncCommand(): Command {
  const cmd = new Command("sync")
    .description("copy a repository's objects to another location (3-2-1), verified by hash; needs no key")
    .addOption(new Option("--from <url>", "source repository").env("CAIRN_SYNC_FROM"))
    .addOption(new Option("--to <url>", "target repository (created if empty)").env("CAIRN_SYNC_TO"))
    .option("--concurrency <n>", "objects copied at once (default 4)")
    .option("--json", "JSON output");
  return addStorageFlags(cmd).action(async (o: SyncOpts) => {
    if (!o.from || !o.to)
      throw new UsageError("sync needs --from and --to", {
        hint: "e.g. cairn sync --from s3://bucket/app1 --to azure://dr-copy/app1",
      });
    const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1))
      throw new UsageError("--concurrency must be a positive integer");
    const settings = storageSettingsFromFlags(o);
    const [from, to] = await Promise.all([
      openRepositoryStorage(o.from, settings),
      openRepositoryStorage(o.to, settings),
    ]);
    try {
      const report = await syncRepository(from, to, { concurrency, noRepositoryHint: "check --from" });
      if (o.json) printJson({ from: from.name, to: to.name, ...report });
      else {
        process.stdout.write(
          `copied ${report.copied} objects (${humanBytes(report.bytesCopied)}), ${report.skipped} already there, from ${terminalText(from.name)} to ${terminalText(to.name)}\n`,
        );
        for (const p of report.problems)
          process.stdout.write(`error: ${terminalText(p.key)}: ${terminalText(p.message)}\n`);
      }
      const damaged = damagedSourceError(report, "run `cairn check` on the source; re-run sync after repair");
      if (damaged) throw damaged;
    } finally {
      await Promise.all([from.close?.(), to.close?.()]);
    }
  });
}
