import { Command } from "commander";
import { UsageError } from "../../core/errors.js";
import { EXIT_PARTIAL } from "./backup.js";

interface RunOpts {
  config: string;
  metricsTextfile?: string;
  pushgateway?: string;
}

/** `cairn run JOB`: one job, now, once (for cron or a Kubernetes CronJob); exit codes as `cairn backup`. */
export function runCommand(): Command {
  return new Command("run")
    .description(
      "run one job of a config file now, once: hooks, backup or sync, retention, notifications; exit 0, 1 failed, 3 some files unreadable",
    )
    .argument("<job>", "job name from the config's jobs:")
    .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
    .option(
      "--metrics-textfile <file>",
      "write the run's metrics there (*.prom, atomically) for node_exporter's textfile collector (or agent.metrics_textfile)",
    )
    .option("--pushgateway <url>", "push the run's metrics to this Prometheus Pushgateway (or agent.pushgateway)")
    .action(async (name: string, o: RunOpts) => {
      const [{ loadConfig }, { runJobNow }] = await Promise.all([
        import("../../config/load-config.js"),
        import("../shared/run-job-now.js"),
      ]); // on use: see agent.ts
      const config = await loadConfig(o.config);
      const job = config.jobs[name];
      if (!job)
        throw new UsageError(`no job named ${JSON.stringify(name)} in ${config.file}`, {
          hint: `jobs there: ${Object.keys(config.jobs).join(", ")}`,
        });
      const outcome = await runJobNow(config, job, o);
      process.exitCode = outcome.result === "failure" ? 1 : outcome.result === "partial" ? EXIT_PARTIAL : 0;
    });
}
