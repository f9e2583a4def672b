import type { Logger } from "./logger.js";
import { redactUrl } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import { writeMetricsTextfile } from "./metrics/metrics-textfile.js";
import { pushToGateway } from "./metrics/pushgateway.js";

/** Where `cairn run` and `cairn drill` put the metrics of their one run (flags, else `agent.metrics_textfile` / `agent.pushgateway`). */
export interface MetricsExport {
  textfile?: string;
  pushgateway?: string;
}

const PUSH_TIMEOUT_MS = 10_000;
/** The Pushgateway's `job` grouping label (it requires one); runs of a job are told apart by `job_name`. */
export const PUSH_JOB = "cairn";

/**
 * Export the metrics of one run (CronJob mode: no agent is there to be
 * scraped). A failure is logged (`"event":"metrics_export_failed"`) and
 * returned, never thrown: the backup it describes is done, and failing the
 * Job would only make Kubernetes run the backup again.
 */
export async function exportRunMetrics(
  metrics: AgentMetrics,
  jobName: string,
  to: MetricsExport,
  log: Logger,
): Promise<boolean> {
  if (!to.textfile && !to.pushgateway) return true;
  const text = withoutEmptyFamilies(await metrics.registry.metrics());
  let ok = true;
  const attempt = async (target: Record<string, string>, write: () => Promise<void>) => {
    try {
      await write();
      log.info({ event: "metrics_exported", ...target }, `metrics of ${jobName} exported`);
    } catch (e) {
      ok = false;
      const message = (e as Error).message;
      log.error({ event: "metrics_export_failed", ...target, error: message }, `cannot export metrics: ${message}`);
    }
  };
  const { textfile, pushgateway } = to;
  if (textfile) await attempt({ textfile }, () => writeMetricsTextfile(textfile, text));
  if (pushgateway)
    await attempt({ pushgateway: redactUrl(pushgateway) }, () =>
      pushToGateway(pushgateway, text, { job: PUSH_JOB, job_name: jobName }, PUSH_TIMEOUT_MS),
    );
  return ok;
}

/**
 * Drop the metric families that have no sample (a metric this run never set,
 * e.g. the last success of a failed run). A bare `# TYPE` line says nothing,
 * and a push must not rely on how a Pushgateway treats one: as "replace this
 * name with nothing" it would erase the last success an earlier run left in
 * the group (the Pushgateway the tests run ignores it).
 */
function withoutEmptyFamilies(text: string): string {
  const out: string[] = [];
  let header: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      if (line.startsWith("# HELP ")) header = [];
      header.push(line);
    } else if (line !== "") {
      out.push(...header, line);
      header = [];
    }
  }
  return out.join("\n") + "\n";
}
