import type { AgentConfig } from "../config/agent-config.js";
import { runHook } from "./hooks.js";
import { jobHost } from "./job-host.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import { notify } from "./notify.js";
import { interruptedNotification } from "./run-notification.js";
import { takeInterruptedRuns, type InterruptedRun } from "./state-file.js";

export interface InterruptedContext {
  config: AgentConfig;
  stateFile: string;
  log: Logger;
  metrics?: AgentMetrics;
}

/**
 * A process killed outright (the kernel's OOM killer, SIGKILL, power loss)
 * writes no last line: its run's marker stays in the state file. This finds
 * such runs (all jobs' at the agent's start, `only` one job's before
 * `cairn run` starts it), records each as a failed run, and reports it: a
 * `job_interrupted` log line, cairn_job_interrupted_runs_total, the
 * `on_failure` hook and the notifications that hear "interrupted". Never
 * throws; resolves when the reports are sent.
 */
export async function reportInterruptedRuns(ctx: InterruptedContext, only?: string): Promise<InterruptedRun[]> {
  const found = await takeInterrupted(ctx, only);
  await reportInterrupted(ctx, found);
  return found;
}

/**
 * The interrupted runs, taken out of the state file. The agent awaits this
 * before it schedules anything, so no marker of its own runs is there yet
 * (a container's new process may have the dead one's pid).
 */
export async function takeInterrupted(ctx: InterruptedContext, only?: string): Promise<InterruptedRun[]> {
  try {
    return await takeInterruptedRuns(ctx.stateFile, only);
  } catch (e) {
    // An unwritable state file is reported where runs are recorded (job-runner.ts); nothing to add here.
    ctx.log.debug({ err: e }, `cannot check ${ctx.stateFile} for interrupted runs`);
    return [];
  }
}

/** Report runs found by takeInterrupted: log line, metrics, on_failure hook, notifications. Never throws. */
export async function reportInterrupted(ctx: InterruptedContext, runs: readonly InterruptedRun[]): Promise<void> {
  for (const r of runs)
    await reportOne(ctx, r).catch((e: unknown) => ctx.log.warn({ err: e }, "cannot report an interrupted run"));
}

async function reportOne(ctx: InterruptedContext, r: InterruptedRun): Promise<void> {
  const log = ctx.log.child({ job: r.job });
  log.error(
    {
      event: "job_interrupted",
      started_at: r.running.startedAt,
      trigger: r.running.trigger,
      pid: r.running.pid,
      process_host: r.running.hostname,
      run_id: r.running.runId,
      error: r.record.error,
    },
    `job ${r.job}: the run started at ${r.running.startedAt} never finished; its process ended without recording it (killed: out of memory, SIGKILL, power loss)`,
  );
  ctx.metrics?.interrupted.inc({ job_name: r.job });
  ctx.metrics?.runs.inc({ job_name: r.job, result: "failure" });
  const job = ctx.config.jobs[r.job];
  if (!job) return; // gone from the config since: logged and counted, nobody left to notify
  const hooks = job.config.hooks;
  if (hooks?.on_failure)
    await runHook("on_failure", hooks.on_failure, {
      timeoutMs: job.hookTimeoutMs,
      env: hooks.env,
      jobEnv: { CAIRN_JOB: job.name, CAIRN_RESULT: "failure", CAIRN_ERROR: r.record.error ?? "" },
      log,
    });
  const { host } = jobHost(job, ctx.config.agent);
  await notify(job.notifyTargets, interruptedNotification(job, r, host), { timeoutMs: job.notifyTimeoutMs, log });
}
