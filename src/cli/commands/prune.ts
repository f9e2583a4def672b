import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { DEFAULT_GRACE_MS, prune, type PruneResult } from "../../repository/prune.js";
import { parseExactDuration } from "../../retention/duration.js";
import { humanBytes, openRepo, printJson, repoOptions, type RepoOpts } from "../common.js";

interface PruneOpts extends RepoOpts {
  dryRun?: boolean;
  maxUnused: string;
  maxRepackSize?: string;
  grace?: string;
  force?: boolean;
  extendLock?: string;
}

/** `5%` -> 0.05; `unlimited` -> 1. */
export function parsePercent(text: string, option: string): number {
  if (text === "unlimited") return 1;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (!m || Number(m[1]) > 100) throw new UsageError(`${option} ${JSON.stringify(text)} is not a percentage`, { hint: "e.g. 5%, 0%, or unlimited" });
  return Number(m[1]) / 100;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

/** `1GiB`, `500M`, `1048576` -> bytes. */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${option} ${JSON.stringify(text)} is not a size`, { hint: "e.g. 1GiB, 500MiB, 2G" });
  return Math.floor(Number(m[1]) * unit);
}

export function pruneCommand(): Command {
  const cmd = new Command("prune").description("delete data no snapshot needs, in two phases safe with concurrent backups (needs only the agent key; --identity also repacks data packs)");
  return repoOptions(cmd)
    .option("--dry-run", "only say what would be done")
    .option("--max-unused <percent>", "repack packs with more than this share unused", "5%")
    .option("--max-repack-size <size>", "repack at most this many bytes of packs, e.g. 1GiB")
    .option("--grace <duration>", "condemned packs are deleted by a prune at least this much later; longer than any backup. Prune refuses when this host's clock and the storage's differ by more than a quarter of it", "24h")
    .option("--force", "allow a prune that condemns every pack")
    .option("--extend-lock <duration>", "on Object Lock storage: extend the retention of everything kept snapshots need to now + this, e.g. 30d")
    .option("--json", "JSON output")
    .action(async (o: PruneOpts) => {
      const opts = {
        dryRun: o.dryRun,
        maxUnused: parsePercent(o.maxUnused, "--max-unused"),
        maxRepackBytes: o.maxRepackSize === undefined ? undefined : parseSize(o.maxRepackSize, "--max-repack-size"),
        graceMs: o.grace === undefined ? DEFAULT_GRACE_MS : parseExactDuration(o.grace, "--grace"),
        force: o.force,
        lockExtendMs: o.extendLock === undefined ? undefined : parseExactDuration(o.extendLock, "--extend-lock"),
      };
      const repo = await openRepo(o);
      const r = await prune(repo, opts);
      if (o.json) printJson(r);
      else printHuman(r);
    });
}

function printHuman(r: PruneResult): void {
  const verb = r.dryRun ? "would " : "";
  process.stdout.write(
    [
      `${r.snapshots} snapshot(s) in use`,
      `deleted: ${verb}${r.packsDeleted} pack(s), ${humanBytes(r.bytesFreed)} freed${r.packsRevived ? `; ${r.packsRevived} condemned pack(s) kept for snapshots made since` : ""}`,
      `condemned: ${verb}${r.packsMarked} pack(s), ${humanBytes(r.bytesMarked)} (deleted by a prune after the grace period)`,
      `repacked: ${r.packsRepacked} pack(s), ${r.blobsRepacked} blob(s), ${humanBytes(r.bytesRepackWritten)} written${r.repackSkippedNoIdentity ? `; ${r.repackSkippedNoIdentity} data pack(s) need --identity to repack` : ""}`,
      r.deletionsDeferred ? `${r.deletionsDeferred} object(s) are locked (object lock) and will be deleted by a later prune` : "",
      `left: ${r.packsLeft} pack(s), ${humanBytes(r.bytesLeft)} (${humanBytes(r.unusedBytesLeft)} unused); ${r.marksPending} earlier mark(s) still in their grace period`,
    ]
      .filter(Boolean)
      .join("\n") + "\n",
  );
}
