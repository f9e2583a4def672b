import { Command } from "commander";
import type { StatusOpts } from "../shared/status-report.js";

/**
 * `cairn status`: per job its last run and next run, per repository whether it
 * answers; the exit code says what is wrong (src/cli/shared/status-problems.ts),
 * so a cron check or a Kubernetes probe can act on it. Secrets never shown (URLs are redacted).
 */
export function statusCommand(): Command {
  return (
    new Command("status")
      .description(
        "last run of each job, its next run, snapshot ages and whether each repository is reachable; exit 0 all well, 4 a repository unreachable, 5 a job's last run failed, 6 a snapshot older than its job's max_age",
      )
      .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
      .option("--json", "JSON output")
      // Loaded on use: the agent modules (logging, schedules, metrics) cost every other command startup time.
      .action(async (o: StatusOpts) => (await import("../shared/status-report.js")).showStatus(o))
  );
}
