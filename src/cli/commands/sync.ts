import { Command, Option } from "commander";
import { IntegrityError, UsageError } from "../../errors.js";
import { CONFIG_KEY, DATA_PREFIX, KEYS_PREFIX, META_PREFIX, SNAPSHOTS_PREFIX, idOfKey } from "../../repository/layout.js";
import { openStorage } from "../../storage/open-storage.js";
import { syncStorage } from "../../storage/sync.js";
import { humanBytes, printJson } from "../common.js";
import { storageOpenOptions, storageOptions, type StorageFlags } from "../storage-options.js";

interface SyncOpts extends StorageFlags {
  from?: string;
  to?: string;
  concurrency?: string;
  json?: boolean;
}

/**
 * The repository's write order (docs/FORMAT.md): config and keys, then packs,
 * then index, then snapshots, which commit. Copying in this order means an
 * interrupted sync leaves a target whose every snapshot is complete.
 */
export function phaseOf(key: string): number {
  if (key === CONFIG_KEY || key.startsWith(KEYS_PREFIX)) return 0;
  if (key.startsWith(DATA_PREFIX) || key.startsWith(META_PREFIX)) return 1;
  if (key.startsWith(SNAPSHOTS_PREFIX)) return 3;
  return 2; // index/ and anything else
}

/** Every object but `config` is named by the SHA-256 of its stored bytes. */
export function expectedSha256(key: string): string | undefined {
  const id = idOfKey(key);
  return key !== CONFIG_KEY && /^[0-9a-f]{64}$/.test(id) ? id : undefined;
}

export function syncCommand(): Command {
  const cmd = new Command("sync")
    .description("copy a repository's objects to another location (3-2-1), verified by hash; needs no key")
    .addOption(new Option("--from <url>", "source repository").env("CAIRN_SYNC_FROM"))
    .addOption(new Option("--to <url>", "target repository (created if empty)").env("CAIRN_SYNC_TO"))
    .option("--concurrency <n>", "objects copied at once (default 4)")
    .option("--json", "JSON output");
  return storageOptions(cmd).action(async (o: SyncOpts) => {
    if (!o.from || !o.to) throw new UsageError("sync needs --from and --to", { hint: "e.g. cairn sync --from s3://bucket/app1 --to azure://dr/app1" });
    const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError("--concurrency must be a positive integer");
    const options = storageOpenOptions(o);
    const [from, to] = await Promise.all([openStorage(o.from, options), openStorage(o.to, options)]);
    try {
      if (!(await from.head(CONFIG_KEY))) throw new UsageError(`${from.name} holds no repository (no config object)`, { hint: "check --from" });
      const report = await syncStorage(from, to, { phase: phaseOf, expectedSha256, concurrency });
      if (o.json) printJson({ from: from.name, to: to.name, ...report });
      else {
        process.stdout.write(`copied ${report.copied} objects (${humanBytes(report.bytesCopied)}), ${report.skipped} already there, from ${from.name} to ${to.name}\n`);
        for (const p of report.problems) process.stdout.write(`error: ${p.key}: ${p.message}\n`);
      }
      if (report.problems.length > 0) {
        throw new IntegrityError("object", report.problems[0].key, `${report.problems.length} damaged source object(s) not copied`, { hint: "run `cairn check` on the source; re-run sync after repair" });
      }
    } finally {
      await Promise.all([from.close?.(), to.close?.()]);
    }
  });
}
