import type { JobSpec } from "../config/agent-config.js";
import { humanBytes, humanDuration } from "./notify/message-template.js";
import type { Notification } from "./notify/notification.js";
import type { InterruptedRun, JobRunRecord } from "./state-file.js";

/** "primary 1a2b3c4d, offsite 5e6f7a8b": each repository's new snapshot, by its short id. */
function snapshotList(snapshots: Record<string, string> | undefined): string {
  return Object.entries(snapshots ?? {})
    .map(([repo, id]) => `${repo} ${id.slice(0, 8)}`)
    .join(", ");
}

/** A run has started (on_start; healthchecks.io's /start). */
export function startNotification(job: JobSpec, host: string, runId: string, startedAt: Date): Notification {
  return {
    job: job.name,
    event: "start",
    body: { job: job.name, event: "start" },
    vars: { job: job.name, event: "start", result: "started", host, started_at: startedAt.toISOString() },
    runId,
    time: startedAt.toISOString(),
  };
}

/** A run has ended: the generic body cairn has always sent, and the template's values. */
export function endNotification(
  job: JobSpec,
  o: JobRunRecord & { files?: number; bytesAdded?: number; unreadable?: number },
  host: string,
  runId: string,
): Notification {
  const drill = o.drill && {
    drilled_job: o.drill.job,
    damaged_object: o.drill.damagedObject,
    restored_bytes: o.drill.restoredBytes,
    restore_s: o.drill.restoreSeconds,
  };
  return {
    job: job.name,
    event: o.result,
    body: {
      job: job.name,
      result: o.result,
      duration_s: o.durationSeconds,
      snapshots: o.snapshots,
      error: o.error,
      ...drill,
    },
    vars: {
      job: job.name,
      event: o.result,
      result: o.result,
      duration: humanDuration(o.durationSeconds),
      error: o.error,
      snapshots: snapshotList(o.snapshots),
      host,
      files: o.files?.toString(),
      bytes_added: o.bytesAdded === undefined ? undefined : humanBytes(o.bytesAdded),
      unreadable: o.unreadable?.toString(),
      started_at: o.startedAt,
    },
    runId,
    time: o.finishedAt,
  };
}

/** A run whose process was killed, found at the next start (src/agent/interrupted-runs.ts). */
export function interruptedNotification(job: JobSpec, r: InterruptedRun, host: string): Notification {
  return {
    job: job.name,
    event: "interrupted",
    body: {
      job: job.name,
      event: "interrupted",
      result: "failure",
      started_at: r.running.startedAt,
      error: r.record.error,
    },
    vars: {
      job: job.name,
      event: "interrupted",
      result: "failure",
      error: r.record.error,
      host,
      started_at: r.running.startedAt,
      duration: humanDuration(r.record.durationSeconds),
    },
    runId: r.running.runId,
    time: r.record.finishedAt,
  };
}
