import type { Server } from "node:http";
import type { AgentConfig } from "../config/agent-config.js";
import { loadConfig } from "../config/load-config.js";
import { ConfigInvalidError } from "../core/errors.js";
import { startHttpServer, type ProbeResult } from "./http-server.js";
import { runJob } from "./job-runner.js";
import type { Logger } from "./logger.js";
import { redactUrl } from "./logger.js";
import { AgentMetrics } from "./metrics/agent-metrics.js";
import { runPrune } from "./prune-runner.js";
import { checkReachable, type Reachability } from "./reachability.js";
import { Scheduler, scheduleConfig } from "./scheduler.js";
import { SnapshotAgeWatch } from "./snapshot-age-watch.js";
import { cacheRoot } from "../jobs/cache-dir.js";
import { prepareMetrics } from "./prepare-metrics.js";
import { readState, stateFilePath } from "./state-file.js";
import { reportInterrupted, takeInterrupted } from "./interrupted-runs.js";
import { jobHost } from "./job-host.js";
import { probeWritableDir } from "../fs/writable-dir.js";

const REACHABILITY_INTERVAL_MS = 60_000;
const REACHABILITY_TIMEOUT_MS = 10_000;
/** Snapshot listings (one GET per snapshot) are refreshed this often besides after each run; ages are checked every probe. */
const SNAPSHOT_REFRESH_MS = 15 * 60_000;
/**
 * How long a slot may pass unfired before /healthz fails. node-cron fires a
 * slot within a second of its time or reports it missed; a minute leaves room
 * for a busy event loop without letting a dead scheduler look alive for long.
 */
const LIVENESS_SLACK_MS = 60_000;

/**
 * The long-running agent: runs jobs and prune on their schedules, serves
 * /healthz, /readyz and /metrics, reloads its config on SIGHUP and stops
 * cleanly on SIGTERM/SIGINT (src/cli/commands/agent.ts wires the signals).
 */
export class Agent {
  readonly metrics = new AgentMetrics();
  private scheduler: Scheduler;
  private server?: Server;
  private readonly abort = new AbortController();
  /** Fires at the first SIGTERM/SIGINT: waits (a retry's backoff) end at once; running work is aborted later. */
  private readonly stop = new AbortController();
  private reachability = new Map<string, Reachability>();
  private reachTimer?: NodeJS.Timeout;
  private stopping = false;
  private running = false;
  private readonly ages: SnapshotAgeWatch;
  private agesListedAt = 0;

  constructor(
    private config: AgentConfig,
    private readonly log: Logger,
  ) {
    this.scheduler = new Scheduler(log, this.metrics);
    this.ages = new SnapshotAgeWatch(this.metrics, log);
  }

  async start(): Promise<void> {
    prepareMetrics(this.metrics, this.config, await readState(stateFilePath(cacheRoot(this.config.agent.cache_dir))));
    this.server = await startHttpServer(this.config.agent.listen, this.metrics, {
      liveness: () => this.liveness(),
      readiness: () => this.readiness(),
    });
    this.log.info(
      {
        event: "agent_started",
        listen: this.config.agent.listen,
        config: this.config.file,
        jobs: Object.keys(this.config.jobs),
      },
      `agent listening on ${this.config.agent.listen}`,
    );
    const ctx = this.runContext(this.config);
    await this.checkCacheRoot(ctx.cacheRoot);
    // Before anything is scheduled: a marker left now is a dead process's, never one of this agent's runs.
    const interrupted = await takeInterrupted(ctx);
    if (this.stopping) return; // a SIGTERM during start-up: schedule nothing
    this.apply(this.config);
    this.running = true;
    void reportInterrupted(ctx, interrupted);
    void this.checkRepositories();
    this.reachTimer = setInterval(() => void this.checkRepositories(), REACHABILITY_INTERVAL_MS);
  }

  /**
   * A read-only root file system with no volume at the cache root turns off the
   * state file (last runs, interrupted-run reports) and the parent caches;
   * backups still run. Said once at start, with the real cause and the fix.
   */
  private async checkCacheRoot(root: string): Promise<void> {
    const problem = await probeWritableDir(root);
    if (!problem) return;
    this.log.warn(
      { event: "cache_unwritable", path: problem.path, code: problem.code, cause: problem.cause, hint: problem.hint },
      `cannot write the cache directory ${root} (${problem.code} at ${problem.path}): backups run without parent caches (every file read again) and no state file is kept; ${problem.hint}`,
    );
  }

  private runContext(c: AgentConfig) {
    const root = cacheRoot(c.agent.cache_dir);
    return {
      config: c,
      cacheRoot: root,
      log: this.log,
      metrics: this.metrics,
      signal: this.abort.signal,
      stopping: this.stop.signal,
      stateFile: stateFilePath(root),
    };
  }

  private apply(c: AgentConfig): void {
    const ctx = this.runContext(c);
    scheduleConfig(
      this.scheduler,
      c,
      async (job, deadline, trigger) => {
        await runJob(job, { ...ctx, deadline, trigger });
        if (job.kind === "backup") await this.watchAges(c, [job.name]);
      },
      () => runPrune(c, ctx),
    );
    for (const job of Object.values(c.jobs)) {
      const next = this.scheduler.nextRun(job.name);
      const host = job.kind === "backup" ? jobHost(job, c.agent) : undefined;
      this.log.info(
        {
          event: "job_scheduled",
          job: job.name,
          kind: job.kind,
          schedule: job.config.schedule,
          timezone: job.timezone,
          next_run: next?.toISOString(),
          host: host?.host,
          host_from: host?.from,
        },
        `job ${job.name} scheduled${next ? `; next run ${next.toISOString()}` : " (no schedule)"}`,
      );
    }
  }

  /** SIGHUP: load the config again; an invalid one is logged and the running one kept. */
  async reload(): Promise<boolean> {
    let next: AgentConfig;
    try {
      next = await loadConfig(this.config.file);
    } catch (e) {
      const problems = e instanceof ConfigInvalidError ? e.problems : [{ path: "", message: (e as Error).message }];
      this.log.error(
        { event: "config_reload_failed", problems },
        `config reload failed; keeping the running config: ${(e as Error).message}`,
      );
      return false;
    }
    if (next.agent.listen !== this.config.agent.listen)
      this.log.warn({ listen: next.agent.listen }, "agent.listen changed: takes effect at the next restart");
    await this.scheduler.stop();
    const carried = this.scheduler.runningNow();
    this.scheduler = new Scheduler(this.log, this.metrics);
    this.config = next;
    prepareMetrics(this.metrics, next, { jobs: {} }); // the values in memory stay; only the declarations change
    this.apply(next);
    for (const [name, run] of carried) this.scheduler.adopt(name, run);
    this.log.info({ event: "config_reloaded", jobs: Object.keys(next.jobs) }, "config reloaded");
    this.agesListedAt = 0; // jobs and repositories may have changed: list them again now
    void this.checkRepositories();
    return true;
  }

  private async checkRepositories(): Promise<void> {
    const c = this.config;
    const results = await Promise.all(
      Object.entries(c.repositories).map(
        async ([name, r]) => [name, await checkReachable(r, REACHABILITY_TIMEOUT_MS)] as const,
      ),
    );
    const next = new Map<string, Reachability>();
    for (const [name, r] of results) {
      const was = this.reachability.get(name);
      this.metrics.reachable.set({ repository: name }, r.reachable ? 1 : 0);
      if (!r.reachable && was?.reachable !== false)
        this.log.warn(
          { repository: name, url: redactUrl(c.repositories[name].url), error: r.error },
          `repository ${name} is not reachable: ${r.error}`,
        );
      if (r.reachable && was?.reachable === false)
        this.log.info({ repository: name }, `repository ${name} is reachable again`);
      next.set(name, r);
    }
    this.reachability = next;
    const due = Date.now() - this.agesListedAt >= SNAPSHOT_REFRESH_MS;
    await this.watchAges(c, due ? undefined : []);
  }

  /** Refresh the newest snapshot times of `only` (all backup jobs when undefined, none when empty), then publish ages and alert on max_age. Never throws. */
  private async watchAges(c: AgentConfig, only?: readonly string[]): Promise<void> {
    try {
      if (only === undefined) this.agesListedAt = Date.now();
      if (only === undefined || only.length > 0) await this.ages.refresh(c, only);
      await this.ages.check(this.config);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, `snapshot age check failed: ${(e as Error).message}`);
    }
  }

  /**
   * Alive: the scheduler's cron timers fire their slots (none more than a
   * minute overdue). The HTTP server answering proves only that the event
   * loop turns; a scheduler whose timers are gone would answer forever and
   * back up nothing. Storage plays no part: restarting the sidecar does not
   * bring a bucket back.
   */
  private liveness(): ProbeResult {
    const overdue = this.scheduler.overdue(LIVENESS_SLACK_MS);
    return { ok: overdue.length === 0, detail: { overdue } };
  }

  /**
   * Ready: the config is loaded and the jobs are scheduled, and the agent is
   * not stopping. Never storage: in a Pod the application is ready only when
   * every container is, so a bucket outage or a wrong credential would take
   * the application out of its Service. Reachability is the metric
   * cairn_repository_reachable and an alert instead.
   */
  private readiness(): ProbeResult {
    const ok = this.running && !this.stopping;
    const state = this.stopping ? "stopping" : this.running ? "running" : "starting";
    return { ok, detail: { state, config: this.config.file, jobs: Object.keys(this.config.jobs).length } };
  }

  /**
   * Stop: no new runs; a running job may finish until 80% of the grace period,
   * then it is aborted (a backup aborted before its snapshot record is written
   * leaves no snapshot) and given the rest of the period to unwind.
   */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stop.abort(new Error(`stopped by ${reason}`));
    const grace = this.config.gracePeriodMs;
    const running = await this.scheduler.stop();
    clearInterval(this.reachTimer);
    this.log.info(
      { event: "agent_stopping", reason, running: running.length, grace_period_s: grace / 1000 },
      `${reason}: stopping; ${running.length} run(s) in progress`,
    );
    const all = Promise.allSettled(running).then(() => "done" as const);
    const wait = (ms: number) => new Promise<"timeout">((done) => setTimeout(() => done("timeout"), ms).unref());
    let abandoned: string[] = [];
    if ((await Promise.race([all, wait(grace * 0.8)])) === "timeout") {
      this.log.warn(
        { event: "abandoning_runs", jobs: [...this.scheduler.runningNow().keys()] },
        "grace period nearly over: abandoning the running job(s); no snapshot is recorded for them",
      );
      this.abort.abort(new Error(`stopped by ${reason}`));
      await Promise.race([all, wait(grace * 0.2)]);
      // Still going (e.g. mid-upload of a pack): the process exit ends them; a snapshot record is never half-written.
      abandoned = [...this.scheduler.runningNow().keys()];
    }
    await new Promise<void>((done) => {
      if (!this.server) return done();
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
    this.log.info(
      { event: "agent_stopped", abandoned },
      `agent stopped${abandoned.length ? `; abandoned ${abandoned.join(", ")} mid-run` : ""}`,
    );
  }
}
