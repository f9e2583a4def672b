import cron, { type ScheduledTask } from "node-cron";
import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";

/** Starts one piece of scheduled work; resolves when it is done. */
export type Work = (deadline: number | undefined, trigger: "schedule" | "start") => Promise<void>;

interface Entry {
  name: string;
  task?: ScheduledTask;
  running?: Promise<void>;
  jitterTimer?: NodeJS.Timeout;
  /** The slot the cron timer should fire next: the liveness check (`overdue`) watches it pass. */
  due?: Due;
}

/**
 * A slot as a wall-clock time and as a monotonic one (`performance.now()`),
 * both taken at the same instant. A slot is overdue only once both have
 * passed: a clock stepped forward (NTP, a resumed VM) passes the wall time
 * while the cron timer, which waits on the monotonic clock, has not fired yet;
 * a clock stepped back does the reverse.
 */
interface Due {
  wall: number;
  mono: number;
}

function dueOf(next: Date | null | undefined): Due | undefined {
  if (!next) return undefined;
  return { wall: next.getTime(), mono: performance.now() + (next.getTime() - Date.now()) };
}

/**
 * Fires jobs (and prune) on their cron schedules. A job never runs twice at
 * once: a slot that comes while the previous run is still going is skipped,
 * counted in cairn_job_missed_runs_total and logged. Jitter delays each
 * scheduled run by a random amount up to the job's `jitter`.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly log: Logger,
    private readonly metrics: AgentMetrics,
  ) {}

  add(
    name: string,
    schedule: string | undefined,
    timezone: string | undefined,
    jitterMs: number,
    runOnStart: boolean,
    work: Work,
  ): void {
    const entry: Entry = { name };
    this.entries.set(name, entry);
    const fire = (trigger: "schedule" | "start") => {
      if (this.stopped) return;
      if (entry.running || entry.jitterTimer) {
        this.metrics.missed.inc({ job_name: name });
        this.log.warn({ job: name, event: "missed_run" }, `skipping a run of ${name}: the previous run is still going`);
        return;
      }
      const delay = trigger === "schedule" && jitterMs > 0 ? Math.floor(Math.random() * jitterMs) : 0;
      const start = () => {
        entry.jitterTimer = undefined;
        if (this.stopped) return;
        const deadline = entry.task?.getNextRun()?.getTime();
        const run: Promise<void> = work(deadline, trigger).finally(() => {
          if (entry.running === run) entry.running = undefined;
        });
        entry.running = run;
      };
      if (delay === 0) start();
      else entry.jitterTimer = setTimeout(start, delay);
    };
    if (schedule) {
      const task = cron.schedule(
        schedule,
        () => {
          entry.due = dueOf(task.getNextRun());
          fire("schedule");
        },
        { timezone, name, logger: cronLogger(this.log) },
      );
      // node-cron skips a slot it reaches more than a second late (the event loop was blocked): a skipped run too.
      task.on("execution:missed", () => {
        entry.due = dueOf(task.getNextRun());
        this.metrics.missed.inc({ job_name: name });
        this.log.warn(
          { job: name, event: "missed_run" },
          `skipping a run of ${name}: the process was busy at its time`,
        );
      });
      entry.task = task;
      entry.due = dueOf(task.getNextRun());
    }
    if (runOnStart) setImmediate(() => fire("start"));
  }

  /** A run started by an earlier scheduler (before a reload) counts as running here too. */
  adopt(name: string, running: Promise<void>): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.running = running.finally(() => {
      if (entry.running === tracked) entry.running = undefined;
    });
    const tracked = entry.running;
  }

  /** Runs going now, by entry name. */
  runningNow(): Map<string, Promise<void>> {
    return new Map(
      [...this.entries.values()].filter((e) => e.running).map((e) => [e.name, e.running as Promise<void>]),
    );
  }

  nextRun(name: string): Date | null {
    return this.entries.get(name)?.task?.getNextRun() ?? null;
  }

  /**
   * Entries whose slot passed more than `slackMs` ago without the cron timer
   * firing it (nor reporting it missed): the scheduler is not ticking, however
   * well the HTTP server answers. Empty once stopped.
   */
  overdue(slackMs: number): string[] {
    if (this.stopped) return [];
    const [wall, mono] = [Date.now(), performance.now()];
    return [...this.entries.values()]
      .filter((e) => e.due !== undefined && wall > e.due.wall + slackMs && mono > e.due.mono + slackMs)
      .map((e) => e.name);
  }

  isRunning(name: string): boolean {
    return this.entries.get(name)?.running !== undefined;
  }

  /** Stop firing; returns the runs still going. */
  async stop(): Promise<Promise<void>[]> {
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.jitterTimer) clearTimeout(e.jitterTimer);
      e.jitterTimer = undefined;
      await e.task?.destroy();
      if (e.running) running.push(e.running);
    }
    return running;
  }
}

function cronLogger(log: Logger) {
  return {
    info: (m: string) => log.debug({ source: "node-cron" }, m),
    warn: (m: string) => log.debug({ source: "node-cron" }, m),
    error: (m: string | Error) => log.error({ source: "node-cron" }, String(m)),
    debug: (m: string | Error) => log.debug({ source: "node-cron" }, String(m)),
  };
}

/** Scheduler name of the prune entry; job names cannot contain parentheses. */
export const PRUNE_ENTRY = "(prune)";

/** Jobs and prune of a config as scheduler entries. */
export function scheduleConfig(
  s: Scheduler,
  c: AgentConfig,
  runJob: (job: JobSpec, deadline: number | undefined, trigger: "schedule" | "start") => Promise<void>,
  runPrune: () => Promise<void>,
): void {
  for (const job of Object.values(c.jobs)) {
    s.add(job.name, job.config.schedule, job.timezone, job.jitterMs, job.config.run_on_start, (deadline, trigger) =>
      runJob(job, deadline, trigger),
    );
  }
  if (c.prune) s.add(PRUNE_ENTRY, c.prune.config.schedule, c.prune.timezone, 0, false, () => runPrune());
}
