import type { JobSpec } from "../config/agent-config.js";
import { runHook } from "./hooks.js";
import { DrillFailedError } from "../core/errors.js";
import { backupStep, drillStep, syncStep, type StepContext, type StepOutcome } from "./job-steps.js";
import type { RunResult } from "./metrics.js";
import { ping } from "./notify.js";
import { recordRun, type DrillRecord, type JobRunRecord } from "./state-file.js";

export interface RunContext extends StepContext {
  stateFile: string;
  /** Epoch ms of the job's next slot: a retry that would start after it is not made ("retry within the slot"). */
  deadline?: number;
  /** Why the run started, for the log line. */
  trigger: "schedule" | "start" | "manual";
}

export interface JobOutcome extends JobRunRecord {
  step?: StepOutcome;
}

class HookFailed extends Error {}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(t);
      signal.removeEventListener("abort", finish);
      done();
    }
  });
}

async function attempt(job: JobSpec, ctx: RunContext): Promise<StepOutcome> {
  const hooks = job.config.hooks;
  const hookOpts = {
    timeoutMs: job.hookTimeoutMs,
    env: hooks?.env ?? {},
    jobEnv: { CAIRN_JOB: job.name },
    log: ctx.log.child({ job: job.name }),
  };
  if (hooks?.before && !(await runHook("before", hooks.before, hookOpts)).ok)
    throw new HookFailed(`the before hook failed; ${job.kind === "drill" ? "no drill was run" : "no backup was made"}`);
  const out =
    job.kind === "backup"
      ? await backupStep(job, ctx)
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

/**
 * Run a job once: hooks, the backup (or sync) with retention, retries with a
 * doubling backoff while they fit before the next slot, then metrics, the
 * state file, notifications and one summary log line. Never throws: the
 * outcome says what happened.
 */
export async function runJob(job: JobSpec, ctx: RunContext): Promise<JobOutcome> {
  const started = Date.now();
  const log = ctx.log.child({ job: job.name });
  const notify = job.config.notify;
  log.info({ event: "job_started", kind: job.kind, trigger: ctx.trigger }, `job ${job.name} started (${ctx.trigger})`);
  if (notify?.on_start)
    await ping(notify.on_start, { job: job.name, event: "start" }, { timeoutMs: job.notifyTimeoutMs, log });
  let step: StepOutcome | undefined;
  let error: string | undefined;
  let failure: unknown;
  let attempts = 0;
  // A drill runs once: it measures the restore as it is, and a damaged pack stays damaged however often it is read.
  const maxAttempts = job.kind === "drill" ? 1 : 1 + job.config.retry.attempts;
  for (;;) {
    attempts++;
    try {
      step = await attempt(job, ctx);
      error = step.retentionError;
      break;
    } catch (e) {
      failure = e;
      error = (e as Error).message;
      const wait = job.retryBackoffMs * 2 ** (attempts - 1);
      const fits = ctx.deadline === undefined || Date.now() + wait < ctx.deadline;
      if (ctx.signal.aborted || attempts >= maxAttempts || !fits) break;
      log.warn(
        { attempt: attempts, error, retry_in_s: wait / 1000 },
        `attempt ${attempts} of ${job.name} failed; retrying in ${wait / 1000} s`,
      );
      await sleep(wait, ctx.signal);
      if (ctx.signal.aborted) break;
    }
  }
  if (ctx.signal.aborted && error !== undefined) error = `abandoned at shutdown: ${error}`;
  const result: RunResult = error !== undefined ? "failure" : step && step.warnings > 0 ? "partial" : "success";
  const finished = Date.now();
  const outcome: JobOutcome = {
    result,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationSeconds: (finished - started) / 1000,
    attempts,
    snapshots: step?.snapshots,
    error,
    drill: drillRecord(job, step, failure),
    step,
  };
  await report(job, ctx, outcome);
  return outcome;
}

function drillRecord(job: JobSpec, step: StepOutcome | undefined, failure: unknown): DrillRecord | undefined {
  const d = job.config.drill;
  if (!d) return undefined;
  if (step?.drill) return step.drill;
  return { job: d.job, damagedObject: failure instanceof DrillFailedError ? failure.objectKey : undefined };
}

async function report(job: JobSpec, ctx: RunContext, o: JobOutcome): Promise<void> {
  const log = ctx.log.child({ job: job.name });
  ctx.metrics?.runs.inc({ job_name: job.name, result: o.result });
  ctx.metrics?.lastDuration.set({ job_name: job.name }, o.durationSeconds);
  ctx.metrics?.lastRunSuccess.set({ job_name: job.name }, o.result === "failure" ? 0 : 1);
  if (o.result !== "failure") ctx.metrics?.lastSuccess.set({ job_name: job.name }, Date.parse(o.finishedAt) / 1000);
  await recordRun(ctx.stateFile, job.name, { ...o, step: undefined } as JobRunRecord).catch((e: Error) =>
    log.warn({ error: e.message }, `cannot write the state file ${ctx.stateFile}`),
  );
  const summary = summaryFields(job, ctx, o);
  if (o.result === "failure") log.error(summary, `job ${job.name} failed: ${o.error}`);
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
  const url = o.result === "failure" ? job.config.notify?.on_failure : job.config.notify?.on_success;
  const drill = o.drill && {
    drilled_job: o.drill.job,
    damaged_object: o.drill.damagedObject,
    restored_bytes: o.drill.restoredBytes,
    restore_s: o.drill.restoreSeconds,
  };
  if (url)
    await ping(
      url,
      {
        job: job.name,
        result: o.result,
        duration_s: o.durationSeconds,
        snapshots: o.snapshots,
        error: o.error,
        ...drill,
      },
      { timeoutMs: job.notifyTimeoutMs, log },
    );
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
    bytes_read: step?.bytesRead,
    bytes_added: step?.bytesAdded,
    unreadable: step?.warnings,
    objects_copied: step?.syncCopied,
    bytes_copied: step?.syncBytes,
    error: o.error,
  };
}
