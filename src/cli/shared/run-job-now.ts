import { exportRunMetrics, type MetricsExport } from "../../agent/export-run-metrics.js";
import { runJob, type JobOutcome } from "../../agent/job-runner.js";
import { createLogger } from "../../agent/logger.js";
import { AgentMetrics } from "../../agent/metrics/agent-metrics.js";
import { prepareMetrics } from "../../agent/prepare-metrics.js";
import { readState, stateFilePath } from "../../agent/state-file.js";
import { cacheRoot } from "../../jobs/cache-dir.js";
import type { AgentConfig, JobSpec } from "../../config/agent-config.js";
import { UsageError } from "../../core/errors.js";
import { onInterrupt } from "./signals.js";
import { retriesToLog } from "./storage-retries.js";

/** `--metrics-textfile` and `--pushgateway`, as commander hands them over. */
export interface MetricsFlags {
  metricsTextfile?: string;
  pushgateway?: string;
}

/**
 * Run one job of a loaded config now, as the agent would (state file,
 * notifications, one summary log line), stopping cleanly on SIGINT/SIGTERM,
 * then export the run's metrics to a textfile and/or a Pushgateway when asked:
 * what `cairn run` and `cairn drill` share.
 */
export async function runJobNow(config: AgentConfig, job: JobSpec, flags: MetricsFlags = {}): Promise<JobOutcome> {
  const to = metricsExport(config, flags);
  const log = createLogger(config.agent.log_level);
  retriesToLog(log);
  const abort = new AbortController();
  const off = onInterrupt(abort);
  try {
    const root = cacheRoot(config.agent.cache_dir);
    const stateFile = stateFilePath(root);
    const metrics = new AgentMetrics({ processMetrics: false });
    prepareMetrics(metrics, config, await readState(stateFile), [job.name]);
    const outcome = await runJob(job, {
      config,
      cacheRoot: root,
      log,
      metrics,
      signal: abort.signal,
      stateFile,
      trigger: "manual",
    });
    await exportRunMetrics(metrics, job.name, to, log);
    return outcome;
  } finally {
    off();
  }
}

/** The flags win over the config's `agent.metrics_textfile` / `agent.pushgateway`; checked before the run, not after it. */
function metricsExport(config: AgentConfig, flags: MetricsFlags): MetricsExport {
  const textfile = flags.metricsTextfile ?? config.agent.metrics_textfile;
  const pushgateway = flags.pushgateway ?? config.agent.pushgateway;
  if (textfile !== undefined && !textfile.endsWith(".prom"))
    throw new UsageError(`--metrics-textfile ${textfile}: node_exporter's textfile collector reads only *.prom files`, {
      hint: "name the file e.g. cairn-app.prom, in the collector's --collector.textfile.directory",
    });
  if (pushgateway !== undefined && !/^https?:\/\/\S+$/.test(pushgateway))
    throw new UsageError(`--pushgateway expects an http:// or https:// URL, e.g. http://pushgateway:9091`);
  return { textfile, pushgateway };
}
