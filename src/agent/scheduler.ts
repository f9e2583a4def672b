import cron, { type ScheduledTask } from "node-cron";
import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics.js";

/** Starts one piece of scheduled work; resolves when it is done. */
export type Work = (deadline: number | undefined, trigger: "schedule" | "start") => Promise<void>;

interface Entry {
  name: string;
  task?: ScheduledTask;
  running?: Promise<void>;
  jitterTimer?: NodeJS.Timeout;
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
        this.metrics.missed.inc({ job: name });
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
      entry.task = cron.schedule(schedule, () => fire("schedule"), { timezone, name, logger: cronLogger(this.log) });
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
