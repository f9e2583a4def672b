import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export type RunResult = "success" | "partial" | "failure";

/** The agent's Prometheus metrics (docs/CONFIG.md §Metrics lists them); one registry per agent process. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly lastSuccess: Gauge<"job">;
  readonly lastDuration: Gauge<"job">;
  readonly runs: Counter<"job" | "result">;
  readonly missed: Counter<"job">;
  readonly bytesRead: Counter<"job">;
  readonly bytesAdded: Counter<"job">;
  readonly files: Counter<"job">;
  readonly bytesStored: Counter<"job">;
  readonly chunksNew: Counter<"job">;
  readonly chunksDeduplicated: Counter<"job">;
  readonly reachable: Gauge<"repository">;
  readonly pruneBytesFreed: Counter<"repository">;
  readonly pruneRuns: Counter<"repository" | "result">;
  readonly snapshotsKept: Gauge<"job" | "repository">;
  readonly snapshotsRemoved: Counter<"job" | "repository">;
  readonly syncBytes: Counter<"job">;
  readonly drillLastSuccess: Gauge<"job">;
  readonly drillDuration: Gauge<"job">;
  readonly drillRestoredBytes: Gauge<"job">;
  readonly snapshotAge: Gauge<"job" | "repository">;

  constructor() {
    const r = [this.registry];
    this.lastSuccess = new Gauge({ name: "cairn_job_last_success_timestamp_seconds", help: "Unix time of the job's last successful run", labelNames: ["job"], registers: r });
    this.lastDuration = new Gauge({ name: "cairn_job_last_run_duration_seconds", help: "Duration of the job's last run, retries included", labelNames: ["job"], registers: r });
    this.runs = new Counter({ name: "cairn_job_runs_total", help: "Job runs by result (success, partial: some files unreadable, failure)", labelNames: ["job", "result"], registers: r });
    this.missed = new Counter({ name: "cairn_job_missed_runs_total", help: "Scheduled runs skipped because the previous run was still going", labelNames: ["job"], registers: r });
    this.bytesRead = new Counter({ name: "cairn_backup_bytes_read_total", help: "Bytes read from sources by backups", labelNames: ["job"], registers: r });
    this.bytesAdded = new Counter({ name: "cairn_backup_bytes_added_total", help: "New bytes (before compression) added to repositories by backups", labelNames: ["job"], registers: r });
    this.files = new Counter({ name: "cairn_backup_files_total", help: "Files processed by backups (new, changed and unchanged)", labelNames: ["job"], registers: r });
    this.bytesStored = new Counter({ name: "cairn_backup_bytes_uploaded_total", help: "Bytes uploaded by backups (compressed and encrypted packs)", labelNames: ["job"], registers: r });
    this.chunksNew = new Counter({ name: "cairn_backup_chunks_new_total", help: "Chunks (blobs) stored for the first time", labelNames: ["job"], registers: r });
    this.chunksDeduplicated = new Counter({ name: "cairn_backup_chunks_deduplicated_total", help: "Chunks (blobs) already in the repository, not stored again", labelNames: ["job"], registers: r });
    this.reachable = new Gauge({ name: "cairn_repository_reachable", help: "1 when the repository's storage answered the last check", labelNames: ["repository"], registers: r });
    this.pruneBytesFreed = new Counter({ name: "cairn_prune_bytes_freed_total", help: "Bytes deleted by prune", labelNames: ["repository"], registers: r });
    this.pruneRuns = new Counter({ name: "cairn_prune_runs_total", help: "Prune runs by result", labelNames: ["repository", "result"], registers: r });
    this.snapshotsKept = new Gauge({ name: "cairn_retention_snapshots_kept", help: "Snapshots the job's retention policy kept at its last run", labelNames: ["job", "repository"], registers: r });
    this.snapshotsRemoved = new Counter({ name: "cairn_retention_snapshots_removed_total", help: "Snapshots removed by the job's retention policy", labelNames: ["job", "repository"], registers: r });
    this.syncBytes = new Counter({ name: "cairn_sync_bytes_copied_total", help: "Bytes copied by sync jobs", labelNames: ["job"], registers: r });
    this.drillLastSuccess = new Gauge({ name: "cairn_drill_last_success_timestamp_seconds", help: "Unix time of the drill job's last successful restore drill", labelNames: ["job"], registers: r });
    this.drillDuration = new Gauge({ name: "cairn_drill_duration_seconds", help: "Restore time measured by the drill job's last successful drill (the RTO for that data)", labelNames: ["job"], registers: r });
    this.drillRestoredBytes = new Gauge({ name: "cairn_drill_restored_bytes", help: "Bytes restored and verified by the drill job's last successful drill", labelNames: ["job"], registers: r });
    this.snapshotAge = new Gauge({ name: "cairn_snapshot_age_seconds", help: "Age of the job's newest snapshot in the repository (the data at risk: RPO)", labelNames: ["job", "repository"], registers: r });
    collectDefaultMetrics({ register: this.registry, prefix: "cairn_process_" });
  }

  /** Every job's series exist from the start (at 0), so alerts on rate() and absent() work before the first run. */
  declareJob(job: string): void {
    for (const result of ["success", "partial", "failure"]) this.runs.inc({ job, result }, 0);
    this.missed.inc({ job }, 0);
  }
}
