import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import type { AgentState } from "./state-file.js";

/**
 * Make a registry describe a config before anything runs: each job's info,
 * max_age and counters at 0, each pruned repository's counters, and the last
 * run of each job as the state file remembers it. Without the state file a
 * restarted agent (or a CronJob's `cairn run`) would report no last success
 * at all until the next run, and "time since the last success" alerts could
 * not tell a new agent from a failing one. `only` narrows it to some jobs
 * (and leaves prune out): what `cairn run JOB` exports.
 */
export function prepareMetrics(m: AgentMetrics, c: AgentConfig, state: AgentState, only?: readonly string[]): void {
  m.resetDeclarations();
  for (const job of Object.values(c.jobs)) {
    if (only && !only.includes(job.name)) continue;
    const maxAgeSeconds = job.kind === "backup" && job.maxAgeMs !== undefined ? job.maxAgeMs / 1000 : undefined;
    m.declareJob(job.name, { kind: job.kind, maxAgeSeconds });
    restoreLastRun(m, job, state.jobs[job.name]);
  }
  if (!only) for (const repository of c.prune?.repositories ?? []) m.declarePrune(repository);
}

function restoreLastRun(m: AgentMetrics, job: JobSpec, known: AgentState["jobs"][string] | undefined): void {
  const labels = { job_name: job.name };
  const success = known?.lastSuccess ? Date.parse(known.lastSuccess) / 1000 : NaN;
  if (Number.isFinite(success)) {
    m.lastSuccess.set(labels, success);
    if (job.kind === "drill") m.drillLastSuccess.set(labels, success);
  }
  const last = known?.lastRun;
  if (!last) return;
  m.lastRunSuccess.set(labels, last.result === "failure" ? 0 : 1);
  if (Number.isFinite(last.durationSeconds)) m.lastDuration.set(labels, last.durationSeconds);
  if (job.kind === "drill" && last.result !== "failure" && last.drill?.restoreSeconds !== undefined) {
    m.drillDuration.set(labels, last.drill.restoreSeconds);
    m.drillRestoredBytes.set(labels, last.drill.restoredBytes ?? 0);
  }
}
