import { Command } from "commander";
import { DEFAULT_GRACE_MS, prune, type PruneResult } from "../../maintenance/prune.js";
import { parseExactDuration } from "../../retention/duration.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { humanBytes, printJson } from "../shared/print.js";
import { parsePercent, parseSize } from "../../config/units.js";

interface PruneOpts extends RepoOpts {
  dryRun?: boolean;
  maxUnused: string;
  maxRepackSize?: string;
  grace?: string;
  force?: boolean;
  extendLock?: string;
}

export function pruneCommand(): Command {
  const cmd = new Command("prune").description(
    "delete data no snapshot needs, in two phases safe with concurrent backups (needs only the agent key; --identity also repacks data packs)",
  );
  return repoOptions(cmd)
    .option("--dry-run", "only say what would be done")
    .option("--max-unused <percent>", "repack packs with more than this share unused", "5%")
    .option("--max-repack-size <size>", "repack at most this many bytes of packs, e.g. 1GiB")
    .option(
      "--grace <duration>",
      "condemned packs are deleted by a prune at least this much later; longer than any backup. Prune refuses when this host's clock and the storage's differ by more than a quarter of it",
      "24h",
    )
    .option("--force", "allow a prune that condemns every pack")
    .option(
      "--extend-lock <duration>",
      "on Object Lock storage: extend the retention of everything kept snapshots need to now + this, e.g. 30d",
    )
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
      r.deletionsDeferred
        ? `${r.deletionsDeferred} object(s) are locked (object lock) and will be deleted by a later prune`
        : "",
      `left: ${r.packsLeft} pack(s), ${humanBytes(r.bytesLeft)} (${humanBytes(r.unusedBytesLeft)} unused); ${r.marksPending} earlier mark(s) still in their grace period`,
    ]
      .filter(Boolean)
      .join("\n") + "\n",
  );
}
