import { Command } from "commander";
import { redactUrl } from "../../agent/logger.js";
import { nextRunOf } from "../../agent/next-run.js";
import { checkReachable } from "../../agent/reachability.js";
import { cacheRoot, readState, stateFilePath } from "../../agent/state-file.js";
import { loadConfig } from "../../config/load-config.js";
import { printJson } from "../common.js";

interface StatusOpts {
  config: string;
  json?: boolean;
}

/** `cairn status`: per job its last run and next run, per repository whether it answers. Secrets never shown (URLs are redacted). */
export function statusCommand(): Command {
  return new Command("status")
    .description("last run of each job, its next run, and whether each repository is reachable")
    .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
    .option("--json", "JSON output")
    .action(async (o: StatusOpts) => {
      const config = await loadConfig(o.config);
      const state = await readState(stateFilePath(cacheRoot(config.agent.cache_dir)));
      const repositories = await Promise.all(
        Object.entries(config.repositories).map(async ([name, r]) => ({ name, url: redactUrl(r.url), ...(await checkReachable(r, 10_000)) })),
      );
      const jobs = Object.values(config.jobs).map((j) => ({
        name: j.name,
        kind: j.kind,
        schedule: j.config.schedule ?? null,
        timezone: j.timezone ?? null,
        nextRun: j.config.schedule ? (nextRunOf(j.config.schedule, j.timezone)?.toISOString() ?? null) : null,
        lastRun: state.jobs[j.name]?.lastRun ?? null,
        lastSuccess: state.jobs[j.name]?.lastSuccess ?? null,
      }));
      if (o.json) return printJson({ config: config.file, jobs, repositories });
      const out: string[] = ["jobs:"];
      for (const j of jobs) {
        const last = j.lastRun ? `${j.lastRun.result} at ${j.lastRun.finishedAt} (${j.lastRun.durationSeconds.toFixed(1)} s)${j.lastRun.error ? `: ${j.lastRun.error}` : ""}` : "never run";
        out.push(`  ${j.name} (${j.kind}): last run ${last}; next run ${j.nextRun ?? "not scheduled"}`);
      }
      out.push("repositories:");
      for (const r of repositories) out.push(`  ${r.name} ${r.url}: ${r.reachable ? "reachable" : `NOT reachable: ${r.error}`}`);
      process.stdout.write(out.join("\n") + "\n");
    });
}
