import type { AgentConfig } from "../config/agent-config.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import { notify, type Notification } from "./notify.js";
import { humanDuration } from "./notify/message-template.js";
import { ageSeconds, listNewestSnapshots, type NewestSnapshot } from "./snapshot-ages.js";

type Lister = (config: AgentConfig, only?: readonly string[]) => Promise<NewestSnapshot[]>;

/**
 * RPO at a glance: keeps every backup job's newest snapshot time per
 * repository, publishes its age (`cairn_snapshot_age_seconds`) and alerts
 * once when it passes the job's `max_age`, again only after it was fresh in
 * between. Listing a repository is costly (one GET per snapshot), so
 * `refresh` runs at start, after each run of a job and every few minutes,
 * while `check` (cheap, from memory) runs with every reachability probe.
 * A repository that cannot be listed keeps its last known time: its age
 * keeps growing, which is what an unreachable repository means for the RPO.
 */
export class SnapshotAgeWatch {
  private readonly newest = new Map<string, { job: string; repository: string; time?: string; snapshot?: string }>();
  private readonly stale = new Set<string>();
  private readonly startedMs: number;

  constructor(
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly list: Lister = listNewestSnapshots,
  ) {
    this.startedMs = now();
  }

  /** List the repositories of `only` (default: every backup job) and remember each job's newest snapshot. */
  async refresh(config: AgentConfig, only?: readonly string[]): Promise<void> {
    for (const n of await this.list(config, only)) {
      const key = `${n.job}\0${n.repository}`;
      if (n.error !== undefined) {
        this.log.debug(
          { job: n.job, repository: n.repository, error: n.error },
          `cannot list snapshots of ${n.repository}: ${n.error}`,
        );
        if (!this.newest.has(key)) this.newest.set(key, { job: n.job, repository: n.repository });
        continue;
      }
      this.newest.set(key, { job: n.job, repository: n.repository, time: n.time, snapshot: n.snapshot });
    }
  }

  /** Publish the ages and alert on each (job, repository) newly past its job's max_age. */
  async check(config: AgentConfig): Promise<void> {
    const now = this.now();
    for (const [key, n] of this.newest) {
      const job = config.jobs[n.job];
      if (!job || job.kind !== "backup" || !job.config.repositories?.includes(n.repository)) {
        // Gone from the config (a reload): its series goes too, or a stale age would linger on /metrics.
        this.newest.delete(key);
        this.stale.delete(key);
        this.metrics.snapshotAge.remove({ job_name: n.job, repository: n.repository });
        continue;
      }
      const age = n.time === undefined ? undefined : ageSeconds(n.time, now);
      if (age !== undefined) this.metrics.snapshotAge.set({ job_name: n.job, repository: n.repository }, age);
      if (job.maxAgeMs === undefined) continue;
      // No snapshot at all is stale once max_age has passed since the agent started watching.
      const over = (age ?? (now - this.startedMs) / 1000) > job.maxAgeMs / 1000;
      if (over && !this.stale.has(key)) {
        this.stale.add(key);
        await this.alert(config, n, age);
      } else if (!over && this.stale.delete(key)) {
        this.log.info(
          { event: "snapshot_fresh", job: n.job, repository: n.repository, age_s: age },
          `job ${n.job} has a fresh snapshot in ${n.repository} again`,
        );
      }
    }
  }

  private async alert(
    config: AgentConfig,
    n: { job: string; repository: string; time?: string; snapshot?: string },
    age: number | undefined,
  ): Promise<void> {
    const job = config.jobs[n.job];
    const maxAge = (job.maxAgeMs ?? 0) / 1000;
    const what =
      n.time === undefined
        ? `has no snapshot in ${n.repository}`
        : `newest snapshot in ${n.repository} is ${Math.round(age ?? 0)} s old`;
    const log = this.log.child({ job: n.job });
    log.warn(
      {
        event: "snapshot_stale",
        repository: n.repository,
        age_s: age,
        max_age_s: maxAge,
        snapshot: n.snapshot,
        snapshot_time: n.time,
      },
      `job ${n.job} ${what}, more than its max_age of ${maxAge} s`,
    );
    const error = `${what} (max_age ${maxAge} s)`;
    await notify(job.notifyTargets, staleNotification(n, { age, maxAge, error }), {
      timeoutMs: job.notifyTimeoutMs,
      log,
    });
  }
}

/** The generic body cairn has always sent for a stale snapshot, and the template's values. */
function staleNotification(
  n: { job: string; repository: string; time?: string; snapshot?: string },
  s: { age: number | undefined; maxAge: number; error: string },
): Notification {
  return {
    job: n.job,
    event: "stale",
    body: {
      job: n.job,
      event: "stale",
      repository: n.repository,
      age_s: s.age ?? null,
      max_age_s: s.maxAge,
      snapshot: n.snapshot ?? null,
      snapshot_time: n.time ?? null,
      error: s.error,
    },
    vars: {
      job: n.job,
      event: "stale",
      result: "stale",
      repository: n.repository,
      age: s.age === undefined ? undefined : humanDuration(s.age),
      max_age: humanDuration(s.maxAge),
      error: s.error,
    },
    time: new Date().toISOString(),
  };
}
