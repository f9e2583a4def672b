import { randomUUID } from "node:crypto";
import type { JobSpec } from "../config/agent-config.js";
import { DrillFailedError } from "../core/errors.js";
import { runHook } from "./hooks.js";
import { reportInterruptedRuns } from "./interrupted-runs.js";
import { jobHost } from "./job-host.js";
import { backupStep, drillStep, syncStep, type StepContext, type StepOutcome } from "./job-steps.js";
import type { RunResult } from "./metrics/agent-metrics.js";
import { notify } from "./notify.js";
import { endNotification, startNotification } from "./run-notification.js";
import { recordRun, recordStart, type DrillRecord, type JobRunRecord } from "./state-file.js";
import { writeProblem } from "../fs/writable-dir.js";

export interface RunContext extends StepContext {
  stateFile: string;
  /** Epoch ms of the job's next slot: a retry that would start after it is not made ("retry within the slot"). */
  deadline?: number;
  /** Why the run started, for the log line. */
  trigger: "schedule" | "start" | "manual";
  /**
   * Fires when the agent starts to stop (SIGTERM): a run waiting to retry holds
   * no work, so it ends at once instead of waiting for `signal`, which aborts
   * running work only at 80% of the grace period.
   */
  stopping?: AbortSignal;
}

export interface JobOutcome extends JobRunRecord {
  step?: StepOutcome;
}

class HookFailed extends Error {}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const t = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(t);
      signal.removeEventListener("abort", finish);
      done();
    }
  });
}

async function attempt(job: JobSpec, ctx: RunContext, host: string): Promise<StepOutcome> {
  const hooks = job.config.hooks;
  const hookOpts = {
    timeoutMs: job.hookTimeoutMs,
    env: hooks?.env ?? {},
    jobEnv: { CAIRN_JOB: job.name },
    log: ctx.log.child({ job: job.name }),
    signal: ctx.signal,
  };
  if (hooks?.before && !(await runHook("before", hooks.before, hookOpts)).ok)
    throw new HookFailed(`the before hook failed; ${job.kind === "drill" ? "no drill was run" : "no backup was made"}`);
  const out =
    job.kind === "backup"
      ? await backupStep(job, ctx, host)
      : job.kind === "sync"
        ? await syncStep(job, ctx)
        : await drillStep(job, ctx);
  if (hooks?.after)
    await runHook("after", hooks.after, {
      ...hookOpts,
      jobEnv: { ...hookOpts.jobEnv, CAIRN_RESULT: out.warnings > 0 ? "partial" : "success" },
    });
  return out;
}

interface Attempts {
  step?: StepOutcome;
  error?: string;
  failure?: unknown;
  attempts: number;
}

/** The attempts of one run: retries with a doubling backoff while they fit before the next slot and no stop began. */
async function attempts(job: JobSpec, ctx: RunContext, host: string): Promise<Attempts> {
  const log = ctx.log.child({ job: job.name });
  const out: Attempts = { attempts: 0 };
  // A drill runs once: it measures the restore as it is, and a damaged pack stays damaged however often it is read.
  const maxAttempts = job.kind === "drill" ? 1 : 1 + job.config.retry.attempts;
  const stop = ctx.stopping ? AbortSignal.any([ctx.signal, ctx.stopping]) : ctx.signal;
  for (;;) {
    out.attempts++;
    try {
      out.step = await attempt(job, ctx, host);
      out.error = out.step.retentionError;
      return out;
    } catch (e) {
      out.failure = e;
      out.error = (e as Error).message;
      const wait = job.retryBackoffMs * 2 ** (out.attempts - 1);
      const fits = ctx.deadline === undefined || Date.now() + wait < ctx.deadline;
      if (stop.aborted || out.attempts >= maxAttempts || !fits) return out;
      log.warn(
        { event: "retry_wait", attempt: out.attempts, error: out.error, err: e, retry_in_s: wait / 1000 },
        `attempt ${out.attempts} of ${job.name} failed; retrying in ${wait / 1000} s`,
      );
      await sleep(wait, stop);
      if (stop.aborted) return out;
    }
  }
}

/**
 * Run a job once: a running marker in the state file, hooks, the backup (or
 * sync, or drill) with retention, retries with a doubling backoff while they
 * fit before the next slot, then metrics, the state file, notifications and
 * one summary log line. Never throws: the outcome says what happened.
 */
export async function runJob(job: JobSpec, ctx: RunContext): Promise<JobOutcome> {
  // `cairn run` has no agent start-up to find its job's killed run: it looks before it starts its own.
  await reportInterruptedRuns(ctx, job.name);
  const started = new Date();
  const log = ctx.log.child({ job: job.name });
  const runId = randomUUID();
  const { host } = jobHost(job, ctx.config.agent);
  await recordStart(ctx.stateFile, job.name, { startedAt: started.toISOString(), trigger: ctx.trigger, runId }).catch(
    (e: unknown) =>
      warnState(ctx, job.name, e, "no run marker: a run killed outright will not be reported at the next start"),
  );
  log.info(
    { event: "job_started", kind: job.kind, trigger: ctx.trigger, host, run_id: runId },
    `job ${job.name} started (${ctx.trigger})`,
  );
  await notify(job.notifyTargets, startNotification(job, host, runId, started), {
    timeoutMs: job.notifyTimeoutMs,
    log,
  });
  const a = await attempts(job, ctx, host);
  const stopped = ctx.signal.aborted || ctx.stopping?.aborted;
  const error = stopped && a.error !== undefined ? `abandoned at shutdown: ${a.error}` : a.error;
  const result: RunResult = error !== undefined ? "failure" : a.step && a.step.warnings > 0 ? "partial" : "success";
  const finished = Date.now();
  const outcome: JobOutcome = {
    result,
    startedAt: started.toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationSeconds: (finished - started.getTime()) / 1000,
    attempts: a.attempts,
    snapshots: a.step?.snapshots,
    error,
    drill: drillRecord(job, a.step, a.failure),
    step: a.step,
  };
  await report(job, ctx, outcome, { host, runId, failure: a.failure });
  return outcome;
}

/** A state file that cannot be written is a warning naming it and why, never a failed run. */
function warnState(ctx: RunContext, job: string, e: unknown, consequence: string): void {
  const p = writeProblem(ctx.stateFile, ctx.cacheRoot, e);
  ctx.log.warn(
    { job, event: "state_unwritable", path: p.path, code: p.code, err: e, hint: p.hint },
    `cannot write the state file ${ctx.stateFile} (${p.code}): ${consequence}; ${p.hint}`,
  );
}

function drillRecord(job: JobSpec, step: StepOutcome | undefined, failure: unknown): DrillRecord | undefined {
  const d = job.config.drill;
  if (!d) return undefined;
  if (step?.drill) return step.drill;
  return { job: d.job, damagedObject: failure instanceof DrillFailedError ? failure.objectKey : undefined };
}

async function report(
  job: JobSpec,
  ctx: RunContext,
  o: JobOutcome,
  run: { host: string; runId: string; failure: unknown },
): Promise<void> {
  const log = ctx.log.child({ job: job.name });
  ctx.metrics?.runs.inc({ job_name: job.name, result: o.result });
  ctx.metrics?.lastDuration.set({ job_name: job.name }, o.durationSeconds);
  ctx.metrics?.lastRunSuccess.set({ job_name: job.name }, o.result === "failure" ? 0 : 1);
  if (o.result !== "failure") ctx.metrics?.lastSuccess.set({ job_name: job.name }, Date.parse(o.finishedAt) / 1000);
  await recordRun(ctx.stateFile, job.name, { ...o, step: undefined } as JobRunRecord).catch((e: unknown) =>
    warnState(ctx, job.name, e, "`cairn status` will not show this run"),
  );
  const summary = { ...summaryFields(job, ctx, o), host: run.host, run_id: run.runId };
  if (o.result === "failure")
    log.error({ ...summary, err: run.failure ?? new Error(o.error) }, `job ${job.name} failed: ${o.error}`);
  else
    log.info(
      summary,
      `job ${job.name} ${o.result === "partial" ? "finished with unreadable files" : "succeeded"} in ${o.durationSeconds.toFixed(1)} s`,
    );
  const hooks = job.config.hooks;
  if (o.result === "failure" && hooks?.on_failure) {
    await runHook("on_failure", hooks.on_failure, {
      timeoutMs: job.hookTimeoutMs,
      env: hooks.env,
      jobEnv: { CAIRN_JOB: job.name, CAIRN_RESULT: "failure", CAIRN_ERROR: o.error ?? "" },
      log,
    });
  }
  const step = o.step;
  const n = endNotification(
    job,
    { ...o, files: step?.filesTotal, bytesAdded: step?.bytesAdded, unreadable: step?.warnings },
    run.host,
    run.runId,
  );
  await notify(job.notifyTargets, n, { timeoutMs: job.notifyTimeoutMs, log });
}

/** The fields of the one log line per run. */
function summaryFields(job: JobSpec, ctx: RunContext, o: JobOutcome): Record<string, unknown> {
  const step = o.step;
  return {
    event: "job_run",
    kind: job.kind,
    trigger: ctx.trigger,
    result: o.result,
    duration_s: o.durationSeconds,
    attempts: o.attempts,
    snapshots: o.snapshots,
    drilled_job: o.drill?.job,
    restored_bytes: o.drill?.restoredBytes,
    restore_s: o.drill?.restoreSeconds,
    query_result: o.drill?.queryResult,
    scratch_database: o.drill?.scratchDatabase,
    damaged_object: o.drill?.damagedObject,
    files: step?.filesTotal,
    files_unchanged: step?.filesUnchanged,
    bytes_read: step?.bytesRead,
    bytes_added: step?.bytesAdded,
    unreadable: step?.warnings,
    objects_copied: step?.syncCopied,
    bytes_copied: step?.syncBytes,
    error: o.error,
  };
}
