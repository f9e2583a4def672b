import { Command } from "commander";
import type { StatusOpts } from "../shared/status-report.js";

/** `cairn status`: per job its last run and next run, per repository whether it answers. Secrets never shown (URLs are redacted). */
export function statusCommand(): Command {
  return (
    new Command("status")
      .description("last run of each job, its next run, and whether each repository is reachable")
      .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
      .option("--json", "JSON output")
      // Loaded on use: the agent modules (logging, schedules, metrics) cost every other command startup time.
      .action(async (o: StatusOpts) => (await import("../shared/status-report.js")).showStatus(o))
  );
}
