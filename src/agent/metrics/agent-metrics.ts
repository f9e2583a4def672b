import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { VERSION } from "../../core/version.js";

export type RunResult = "success" | "partial" | "failure";

export interface AgentMetricsOptions {
  /**
   * Node's process and runtime metrics under their standard names
   * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...). Off for
   * the one-shot export of `cairn run` (textfile, Pushgateway): a node_exporter
   * serving the textfile has process metrics of its own under the same names.
   */
  processMetrics?: boolean;
}

/**
 * The agent's Prometheus metrics (docs/CONFIG.md §Metrics lists them); one
 * registry per agent process or `cairn run`. A job is labelled `job_name`,
 * never `job`: Prometheus gives `job` to the scrape job and would rename ours
 * `exported_job`.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly buildInfo = this.gauge("cairn_build_info", "Always 1; the labels say which cairn and Node.js run", [
    "version",
    "node_version",
  ]);
  readonly jobInfo = this.gauge(
    "cairn_job_info",
    "Always 1, one series per configured job; kind is backup, sync or drill",
    ["job_name", "kind"],
  );
  readonly maxAge = this.gauge(
    "cairn_job_max_age_seconds",
    "The job's max_age: its newest snapshot should never be older (backup jobs that set it)",
    ["job_name"],
  );
  readonly lastSuccess = this.gauge(
    "cairn_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run",
    ["job_name"],
  );
  readonly lastRunSuccess = this.gauge(
    "cairn_job_last_run_success",
    "1 when the job's last run succeeded (or wrote its snapshot with some files unreadable), 0 when it failed",
    ["job_name"],
  );
  readonly lastDuration = this.gauge(
    "cairn_job_last_run_duration_seconds",
    "Duration of the job's last run, retries included",
    ["job_name"],
  );
  readonly runs = this.counter(
    "cairn_job_runs_total",
    "Job runs by result (success, partial: some files unreadable, failure)",
    ["job_name", "result"],
  );
  readonly missed = this.counter(
    "cairn_job_missed_runs_total",
    "Scheduled runs skipped: the previous run was still going, or the process was too busy to start it on time",
    ["job_name"],
  );
  readonly interrupted = this.counter(
    "cairn_job_interrupted_runs_total",
    "Runs whose process was killed before they finished (OOM kill, SIGKILL, power loss), found at the next start",
    ["job_name"],
  );
  readonly bytesRead = this.counter("cairn_backup_bytes_read_total", "Bytes read from sources by backups", [
    "job_name",
  ]);
  readonly bytesAdded = this.counter(
    "cairn_backup_bytes_added_total",
    "New bytes (before compression) added to repositories by backups",
    ["job_name"],
  );
  readonly files = this.counter("cairn_backup_files_total", "Files processed by backups (new, changed and unchanged)", [
    "job_name",
  ]);
  readonly bytesStored = this.counter(
    "cairn_backup_bytes_uploaded_total",
    "Bytes uploaded by backups (compressed and encrypted packs)",
    ["job_name"],
  );
  readonly chunksNew = this.counter("cairn_backup_chunks_new_total", "Chunks (blobs) stored for the first time", [
    "job_name",
  ]);
  readonly chunksDeduplicated = this.counter(
    "cairn_backup_chunks_deduplicated_total",
    "Chunks (blobs) already in the repository, not stored again",
    ["job_name"],
  );
  readonly reachable = this.gauge(
    "cairn_repository_reachable",
    "1 when the repository's storage answered the last check (every 60 s), 0 when it did not",
    ["repository"],
  );
  readonly pruneBytesFreed = this.counter("cairn_prune_bytes_freed_total", "Bytes deleted by prune", ["repository"]);
  readonly pruneRuns = this.counter("cairn_prune_runs_total", "Prune runs by result", ["repository", "result"]);
  readonly pruneLastSuccess = this.gauge(
    "cairn_prune_last_success_timestamp_seconds",
    "Unix time of the repository's last successful prune",
    ["repository"],
  );
  readonly snapshotsKept = this.gauge(
    "cairn_retention_snapshots_kept",
    "Snapshots the job's retention policy kept at its last run",
    ["job_name", "repository"],
  );
  readonly snapshotsRemoved = this.counter(
    "cairn_retention_snapshots_removed_total",
    "Snapshots removed by the job's retention policy",
    ["job_name", "repository"],
  );
  readonly syncBytes = this.counter("cairn_sync_bytes_copied_total", "Bytes copied by sync jobs", ["job_name"]);
  readonly drillLastSuccess = this.gauge(
    "cairn_drill_last_success_timestamp_seconds",
    "Unix time of the drill job's last successful restore drill",
    ["job_name"],
  );
  readonly drillDuration = this.gauge(
    "cairn_drill_duration_seconds",
    "Restore time measured by the drill job's last successful drill (the RTO for that data)",
    ["job_name"],
  );
  readonly drillRestoredBytes = this.gauge(
    "cairn_drill_restored_bytes",
    "Bytes restored and verified by the drill job's last successful drill",
    ["job_name"],
  );
  readonly snapshotAge = this.gauge(
    "cairn_snapshot_age_seconds",
    "Age of the job's newest snapshot in the repository (the data at risk: RPO)",
    ["job_name", "repository"],
  );

  constructor(o: AgentMetricsOptions = {}) {
    this.buildInfo.set({ version: VERSION, node_version: process.version }, 1);
    // No prefix: dashboards and alerts written for any Node service query these names.
    if (o.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * A configured job: its info and max_age series, and its counters at 0, so
   * alerts on rate() and absent() work before the first run.
   */
  declareJob(name: string, o: { kind?: string; maxAgeSeconds?: number } = {}): void {
    const job_name = name;
    if (o.kind) this.jobInfo.set({ job_name, kind: o.kind }, 1);
    if (o.maxAgeSeconds !== undefined) this.maxAge.set({ job_name }, o.maxAgeSeconds);
    for (const result of ["success", "partial", "failure"]) this.runs.inc({ job_name, result }, 0);
    this.missed.inc({ job_name }, 0);
    this.interrupted.inc({ job_name }, 0);
  }

  /** A repository `agent.prune` prunes: its run counters at 0, so "no successful prune since start" can be asked. */
  declarePrune(repository: string): void {
    for (const result of ["success", "failure"]) this.pruneRuns.inc({ repository, result }, 0);
  }

  /** Forget the per-job info before a reload declares the new config's jobs (a removed job's series must go). */
  resetDeclarations(): void {
    this.jobInfo.reset();
    this.maxAge.reset();
  }
}
