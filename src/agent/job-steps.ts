import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import { repositoryCacheDir } from "../jobs/cache-dir.js";
import { UsageError } from "../core/errors.js";
import type { DrillReport } from "../drill/drill-report.js";
import { runDrill } from "../drill/run-drill.js";
import { forgetSnapshots } from "../retention/forget.js";
import { createSource } from "../jobs/create-source.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import { openConfiguredRepository, openConfiguredStorage } from "../jobs/open-repository.js";
import { damagedSourceError, syncRepository } from "../jobs/sync-repository.js";
import { probeWritableDir } from "../fs/writable-dir.js";

/** What one attempt of a job did, summed over its repositories. */
export interface StepOutcome {
  snapshots: Record<string, string>;
  filesTotal: number;
  /** Files the parent snapshot's cache showed unchanged, so not read again. */
  filesUnchanged?: number;
  bytesRead: number;
  bytesAdded: number;
  warnings: number;
  /** Retention failed after the snapshot was written: the run fails, but retrying would only add snapshots. */
  retentionError?: string;
  syncCopied?: number;
  syncBytes?: number;
  drill?: DrillReport;
}

export interface StepContext {
  config: AgentConfig;
  cacheRoot: string;
  log: Logger;
  metrics?: AgentMetrics;
  signal: AbortSignal;
}

/**
 * The repository's parent-cache directory, or undefined (and a warning naming
 * it and why) when it cannot be written, e.g. a read-only root file system
 * with no volume at the cache root: the backup then runs without the cache
 * (every file read again, nothing already stored uploaded again) instead of
 * failing for want of a speed-up.
 */
async function usableCacheDir(ctx: StepContext, job: string, repoId: string): Promise<string | undefined> {
  const dir = repositoryCacheDir(ctx.cacheRoot, repoId);
  const problem = await probeWritableDir(dir, ctx.cacheRoot);
  if (!problem) return dir;
  ctx.log.warn(
    {
      job,
      event: "cache_unwritable",
      path: problem.path,
      code: problem.code,
      cause: problem.cause,
      hint: problem.hint,
    },
    `cannot write the parent cache at ${problem.path} (${problem.code}); backing up without it, every file is read again; ${problem.hint}`,
  );
  return undefined;
}

/** One backup of the job's source into each of its repositories (as `host`), then the job's retention there. */
export async function backupStep(job: JobSpec, ctx: StepContext, host: string): Promise<StepOutcome> {
  if (!job.config.source) throw new UsageError(`job ${job.name} has no source`);
  // A dump or database tool's stderr goes to the log, tagged with its job, not to the agent's bare stderr.
  const source = createSource(job.config.source, (line) =>
    ctx.log.info({ job: job.name, event: "source_output" }, line),
  );
  const out: StepOutcome = {
    snapshots: {},
    filesTotal: 0,
    filesUnchanged: 0,
    bytesRead: 0,
    bytesAdded: 0,
    warnings: 0,
  };
  for (const name of job.config.repositories ?? []) {
    const repo = await openConfiguredRepository(name, ctx.config.repositories[name]);
    try {
      const r = await source.backup(repo, {
        host,
        tags: job.config.tags,
        cacheDir: await usableCacheDir(ctx, job.name, repo.config.id),
        signal: ctx.signal,
        onWarning: (w) =>
          ctx.log.warn(
            { job: job.name, event: "file_unreadable", repository: name, path: w.path },
            `could not back up ${w.path}: ${w.message}`,
          ),
        onCacheProblem: (p) =>
          ctx.log.warn(
            { job: job.name, event: "cache_unwritable", repository: name, err: p },
            `${p.message}; backing up without the parent cache; ${p.hint}`,
          ),
      });
      const s = r.summary;
      out.snapshots[name] = r.snapshotId;
      out.filesTotal += s.filesNew + s.filesChanged + s.filesUnchanged;
      out.filesUnchanged = (out.filesUnchanged ?? 0) + s.filesUnchanged;
      out.bytesRead += s.bytesRead;
      out.bytesAdded += s.bytesAdded;
      out.warnings += r.warnings.length;
      ctx.metrics?.bytesRead.inc({ job_name: job.name }, s.bytesRead);
      ctx.metrics?.bytesAdded.inc({ job_name: job.name }, s.bytesAdded);
      ctx.metrics?.files.inc({ job_name: job.name }, s.filesNew + s.filesChanged + s.filesUnchanged);
      ctx.metrics?.bytesStored.inc({ job_name: job.name }, s.bytesStored);
      ctx.metrics?.chunksNew.inc({ job_name: job.name }, s.blobsNew);
      ctx.metrics?.chunksDeduplicated.inc({ job_name: job.name }, s.blobsDeduplicated);
      if (job.retention) {
        const ret = job.retention;
        await forgetSnapshots(repo, ret.policy, { groupBy: ret.groupBy, hosts: [host], signal: ctx.signal }).then(
          (f) => {
            ctx.metrics?.snapshotsKept.set({ job_name: job.name, repository: name }, f.kept);
            ctx.metrics?.snapshotsRemoved.inc({ job_name: job.name, repository: name }, f.removed);
            ctx.log.info(
              {
                job: job.name,
                event: "retention_run",
                repository: name,
                kept: f.kept,
                removed: f.removed,
                locked: f.locked.length,
              },
              `retention on ${name}: kept ${f.kept}, removed ${f.removed}`,
            );
          },
          (e: Error) => {
            out.retentionError = `retention on ${name}: ${e.message}`;
          },
        );
      }
    } finally {
      await repo.close();
    }
  }
  return out;
}

/** Copy every object of sync.from that sync.to lacks, in the repository's write order (as `cairn sync`). */
export async function syncStep(job: JobSpec, ctx: StepContext): Promise<StepOutcome> {
  const s = job.config.sync;
  if (!s) throw new UsageError(`job ${job.name} has no sync section`);
  const [from, to] = await Promise.all([
    openConfiguredStorage(ctx.config.repositories[s.from]),
    openConfiguredStorage(ctx.config.repositories[s.to]),
  ]);
  try {
    const fromLabel = `repository ${s.from} (${from.name})`;
    const report = await syncRepository(from, to, {
      concurrency: s.concurrency,
      signal: ctx.signal,
      fromLabel,
      noRepositoryHint: "run `cairn init` there or fix its url",
    });
    ctx.metrics?.syncBytes.inc({ job_name: job.name }, report.bytesCopied);
    const damaged = damagedSourceError(report, `run \`cairn check\` on ${s.from}`);
    if (damaged) throw damaged;
    return {
      snapshots: {},
      filesTotal: 0,
      bytesRead: 0,
      bytesAdded: 0,
      warnings: 0,
      syncCopied: report.copied,
      syncBytes: report.bytesCopied,
    };
  } finally {
    await Promise.all([from.close?.(), to.close?.()]);
  }
}

/** A restore drill (src/drill/run-drill.ts); its metrics describe the last successful drill, so a failed one leaves them as they were. */
export async function drillStep(job: JobSpec, ctx: StepContext): Promise<StepOutcome> {
  const report = await runDrill(ctx.config, job, {
    signal: ctx.signal,
    log: (line) => ctx.log.info({ job: job.name, event: "drill_output" }, line),
  });
  ctx.metrics?.drillLastSuccess.set({ job_name: job.name }, Date.now() / 1000);
  ctx.metrics?.drillDuration.set({ job_name: job.name }, report.restoreSeconds);
  ctx.metrics?.drillRestoredBytes.set({ job_name: job.name }, report.restoredBytes);
  return {
    snapshots: { [report.repository]: report.snapshot },
    filesTotal: report.files,
    bytesRead: 0,
    bytesAdded: 0,
    warnings: 0,
    drill: report,
  };
}
