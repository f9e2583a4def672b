import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import type { SourceConfig } from "../config/source-schema.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { newestOfJob } from "../jobs/job-snapshots.js";
import { openConfiguredRepository } from "../jobs/open-repository.js";

/** The newest snapshot of one backup job in one of its repositories, as last listed. */
export interface NewestSnapshot {
  job: string;
  repository: string;
  /** Undefined when the repository holds no snapshot of the job (or has not been listed successfully). */
  snapshot?: string;
  time?: string;
  /** Why the last listing failed; the previous answer (if any) is kept. */
  error?: string;
}

/** Backup jobs and the repositories they write to, as (job, repository) pairs; `only` narrows to some jobs. */
export function backupTargets(
  config: AgentConfig,
  only?: readonly string[],
): { job: JobSpec; source: SourceConfig; repository: string }[] {
  const out: { job: JobSpec; source: SourceConfig; repository: string }[] = [];
  for (const job of Object.values(config.jobs)) {
    if (job.kind !== "backup" || !job.config.source || (only && !only.includes(job.name))) continue;
    for (const repository of job.config.repositories ?? []) out.push({ job, source: job.config.source, repository });
  }
  return out;
}

/**
 * List each repository once (snapshot records are sealed with the agent key,
 * so no identity is needed) and find every backup job's newest snapshot there.
 * A repository that cannot be listed yields an `error` for its jobs.
 */
export async function listNewestSnapshots(
  config: AgentConfig,
  only?: readonly string[],
  signal?: AbortSignal,
): Promise<NewestSnapshot[]> {
  const targets = backupTargets(config, only);
  const repos = [...new Set(targets.map((t) => t.repository))];
  const listings = new Map<string, Snapshot[] | Error>();
  await Promise.all(
    repos.map(async (name) => {
      listings.set(name, await listSnapshotsOf(config, name, signal).catch((e: Error) => e));
    }),
  );
  return targets.map(({ job, source, repository }) => {
    const listing = listings.get(repository);
    if (listing instanceof Error || listing === undefined)
      return { job: job.name, repository, error: listing?.message ?? "not listed" };
    const newest = newestOfJob(listing, source);
    return { job: job.name, repository, snapshot: newest?.id, time: newest?.time };
  });
}

async function listSnapshotsOf(config: AgentConfig, name: string, signal?: AbortSignal): Promise<Snapshot[]> {
  // Only the agent key is needed: no identity file is read for a listing.
  const repo = await openConfiguredRepository(name, { ...config.repositories[name], identity_file: undefined });
  try {
    return await repo.listSnapshots(signal);
  } finally {
    await repo.close();
  }
}

/** Seconds between `time` (ISO) and `nowMs`; never negative (a clock behind the store's must not report a future snapshot as fresher than new). */
export function ageSeconds(time: string, nowMs: number): number {
  return Math.max(0, (nowMs - Date.parse(time)) / 1000);
}
