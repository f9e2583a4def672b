import { Command } from "commander";
import { UsageError } from "../../core/errors.js";

interface DrillOpts {
  config: string;
  metricsTextfile?: string;
  pushgateway?: string;
}

/**
 * `cairn drill --config F JOB`: run one restore drill now, as the agent would
 * (state file, notifications, one summary log line); exit 0 when the snapshot
 * restored and verified, 1 when it did not.
 */
export function drillCommand(): Command {
  return new Command("drill")
    .description(
      "run a restore drill job of a config now: restore the latest snapshot into a temporary directory or scratch database, verify it, clean up; exit 0 ok, 1 failed",
    )
    .argument("<job>", "a job with a drill: section")
    .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
    .option(
      "--metrics-textfile <file>",
      "write the run's metrics there (*.prom, atomically) for node_exporter's textfile collector (or agent.metrics_textfile)",
    )
    .option("--pushgateway <url>", "push the run's metrics to this Prometheus Pushgateway (or agent.pushgateway)")
    .action(async (name: string, o: DrillOpts) => {
      const [{ loadConfig }, { runJobNow }] = await Promise.all([
        import("../../config/load-config.js"),
        import("../shared/run-job-now.js"),
      ]); // on use: see agent.ts
      const config = await loadConfig(o.config);
      const job = config.jobs[name];
      const drills = Object.values(config.jobs)
        .filter((j) => j.kind === "drill")
        .map((j) => j.name);
      if (!job || job.kind !== "drill") {
        throw new UsageError(`${config.file} has no drill job named ${JSON.stringify(name)}`, {
          hint: drills.length
            ? `drill jobs there: ${drills.join(", ")}`
            : "add a job with a drill: section (docs/CONFIG.md §Restore drills)",
        });
      }
      const outcome = await runJobNow(config, job, o);
      process.exitCode = outcome.result === "failure" ? 1 : 0;
    });
}
