import { Command } from "commander";
import { UsageError } from "../../core/errors.js";
import { parseCalendarSpan } from "../../retention/duration.js";
import { forgetSnapshots, type ForgetResult } from "../../retention/forget.js";
import { DEFAULT_GROUP_BY, parseGroupBy } from "../../retention/group-snapshots.js";
import { describePolicy, type RetentionPolicy } from "../../retention/policy.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { printJson } from "../shared/print.js";
import { terminalText } from "../shared/terminal-text.js";

interface ForgetOpts extends RepoOpts {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  keepWithinHourly?: string;
  keepWithinDaily?: string;
  keepWithinWeekly?: string;
  keepWithinMonthly?: string;
  keepWithinYearly?: string;
  keepTag: string[];
  groupBy?: string;
  host: string[];
  dryRun?: boolean;
}

function count(flag: string): (v: string) => number {
  return (v) => {
    if (!/^-?\d+$/.test(v))
      throw new UsageError(`${flag} ${JSON.stringify(v)} is not a whole number`, {
        hint: "give a count, or -1 for unlimited",
      });
    return Number(v);
  };
}

const repeat = (v: string, a: string[]) => [...a, v];

/** The policy from the command line, in the shape the YAML config's `retention:` uses too. */
export function policyFromOptions(o: ForgetOpts): RetentionPolicy {
  const span = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseCalendarSpan(v, flag));
  return {
    last: o.keepLast,
    hourly: o.keepHourly,
    daily: o.keepDaily,
    weekly: o.keepWeekly,
    monthly: o.keepMonthly,
    yearly: o.keepYearly,
    within: span(o.keepWithin, "--keep-within"),
    withinHourly: span(o.keepWithinHourly, "--keep-within-hourly"),
    withinDaily: span(o.keepWithinDaily, "--keep-within-daily"),
    withinWeekly: span(o.keepWithinWeekly, "--keep-within-weekly"),
    withinMonthly: span(o.keepWithinMonthly, "--keep-within-monthly"),
    withinYearly: span(o.keepWithinYearly, "--keep-within-yearly"),
    tags: o.keepTag.map((t) => t.split(",").map((s) => s.trim())),
  };
}

export function forgetCommand(): Command {
  const cmd = new Command("forget").description(
    "remove snapshots by a retention policy (restic semantics; needs only the agent key). Data goes with the next `prune`",
  );
  for (const unit of ["last", "hourly", "daily", "weekly", "monthly", "yearly"]) {
    cmd.option(
      `--keep-${unit} <n>`,
      `keep the newest snapshot of the n newest ${unit === "last" ? "snapshots" : `${unit} buckets`} (-1: all)`,
      count(`--keep-${unit}`),
    );
  }
  cmd.option("--keep-within <span>", "keep every snapshot within this span of the newest, e.g. 2d, 1y6m, 36h");
  for (const unit of ["hourly", "daily", "weekly", "monthly", "yearly"])
    cmd.option(`--keep-within-${unit} <span>`, `keep ${unit} snapshots within this span of the newest`);
  repoOptions(cmd)
    .option(
      "--keep-tag <tags>",
      "keep snapshots carrying all these comma-separated tags (repeatable)",
      repeat,
      [] as string[],
    )
    .option("--group-by <fields>", 'group by a subset of host, paths (source), tags; "" for one group', "host,paths")
    .option("--host <name>", "only consider snapshots of this host (repeatable)", repeat, [] as string[])
    .option("--dry-run", "only say what would be removed")
    .option("--json", "JSON output: per group, kept snapshots with reasons, and removed ones")
    .action(async (o: ForgetOpts) => {
      const policy = policyFromOptions(o);
      const groupBy = o.groupBy === undefined ? DEFAULT_GROUP_BY : parseGroupBy(o.groupBy);
      const repo = await openRepo(o);
      const r = await forgetSnapshots(repo, policy, { groupBy, hosts: o.host, dryRun: o.dryRun });
      if (o.json) return printJson(r);
      printHuman(r, describePolicy(policy));
    });
  return cmd;
}

function printHuman(r: ForgetResult, policy: string): void {
  const t = terminalText;
  const out: string[] = [`applying policy: ${t(policy)}`];
  for (const g of r.groups) {
    const key = [
      g.key.host && `host ${t(g.key.host)}`,
      g.key.paths && `paths ${t(g.key.paths.join(","))}`,
      g.key.tags && `tags ${t(g.key.tags.join(","))}`,
    ]
      .filter(Boolean)
      .join(", ");
    out.push(`\nsnapshots for ${key || "all"}:`, `keep ${g.keep.length}:`);
    for (const k of g.keep) out.push(`  ${k.id.slice(0, 8)}  ${t(k.time)}  ${t(k.reasons.join(", "))}`);
    out.push(`remove ${g.remove.length}:`);
    for (const s of g.remove) out.push(`  ${s.id.slice(0, 8)}  ${t(s.time)}`);
  }
  for (const l of r.locked)
    out.push(
      `locked: ${l.id.slice(0, 8)} cannot be deleted yet${l.retainUntil ? ` (retained until ${l.retainUntil})` : ""}; a later forget removes it`,
    );
  out.push(`\n${r.dryRun ? "would remove" : "removed"} ${r.removed} snapshot(s), kept ${r.kept}`);
  process.stdout.write(out.join("\n") + "\n");
}
