import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export type RunResult = "success" | "partial" | "failure";

/** The agent's Prometheus metrics (docs/CONFIG.md §Metrics lists them); one registry per agent process. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly lastSuccess = this.gauge(
    "cairn_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run",
    ["job"],
  );
  readonly lastDuration = this.gauge(
    "cairn_job_last_run_duration_seconds",
    "Duration of the job's last run, retries included",
    ["job"],
  );
  readonly runs = this.counter(
    "cairn_job_runs_total",
    "Job runs by result (success, partial: some files unreadable, failure)",
    ["job", "result"],
  );
  readonly missed = this.counter(
    "cairn_job_missed_runs_total",
    "Scheduled runs skipped because the previous run was still going",
    ["job"],
  );
  readonly interrupted = this.counter(
    "cairn_job_interrupted_runs_total",
    "Runs whose process was killed before they finished (OOM kill, SIGKILL, power loss), found at the next start",
    ["job"],
  );
  readonly bytesRead = this.counter("cairn_backup_bytes_read_total", "Bytes read from sources by backups", ["job"]);
  readonly bytesAdded = this.counter(
    "cairn_backup_bytes_added_total",
    "New bytes (before compression) added to repositories by backups",
    ["job"],
  );
  readonly files = this.counter("cairn_backup_files_total", "Files processed by backups (new, changed and unchanged)", [
    "job",
  ]);
  readonly bytesStored = this.counter(
    "cairn_backup_bytes_uploaded_total",
    "Bytes uploaded by backups (compressed and encrypted packs)",
    ["job"],
  );
  readonly chunksNew = this.counter("cairn_backup_chunks_new_total", "Chunks (blobs) stored for the first time", [
    "job",
  ]);
  readonly chunksDeduplicated = this.counter(
    "cairn_backup_chunks_deduplicated_total",
    "Chunks (blobs) already in the repository, not stored again",
    ["job"],
  );
  readonly reachable = this.gauge(
    "cairn_repository_reachable",
    "1 when the repository's storage answered the last check",
    ["repository"],
  );
  readonly pruneBytesFreed = this.counter("cairn_prune_bytes_freed_total", "Bytes deleted by prune", ["repository"]);
  readonly pruneRuns = this.counter("cairn_prune_runs_total", "Prune runs by result", ["repository", "result"]);
  readonly snapshotsKept = this.gauge(
    "cairn_retention_snapshots_kept",
    "Snapshots the job's retention policy kept at its last run",
    ["job", "repository"],
  );
  readonly snapshotsRemoved = this.counter(
    "cairn_retention_snapshots_removed_total",
    "Snapshots removed by the job's retention policy",
    ["job", "repository"],
  );
  readonly syncBytes = this.counter("cairn_sync_bytes_copied_total", "Bytes copied by sync jobs", ["job"]);
  readonly drillLastSuccess = this.gauge(
    "cairn_drill_last_success_timestamp_seconds",
    "Unix time of the drill job's last successful restore drill",
    ["job"],
  );
  readonly drillDuration = this.gauge(
    "cairn_drill_duration_seconds",
    "Restore time measured by the drill job's last successful drill (the RTO for that data)",
    ["job"],
  );
  readonly drillRestoredBytes = this.gauge(
    "cairn_drill_restored_bytes",
    "Bytes restored and verified by the drill job's last successful drill",
    ["job"],
  );
  readonly snapshotAge = this.gauge(
    "cairn_snapshot_age_seconds",
    "Age of the job's newest snapshot in the repository (the data at risk: RPO)",
    ["job", "repository"],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "cairn_process_" });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Every job's series exist from the start (at 0), so alerts on rate() and absent() work before the first run. */
  declareJob(job: string): void {
    for (const result of ["success", "partial", "failure"]) this.runs.inc({ job, result }, 0);
    this.missed.inc({ job }, 0);
    this.interrupted.inc({ job }, 0);
  }
}
