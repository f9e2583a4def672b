import type { AgentConfig, JobSpec } from "../config/agent-config.js";
import type { SourceConfig } from "../config/source-schema.js";
import { CairnError, DrillFailedError, UsageError } from "../core/errors.js";
import type { Repository } from "../repository/repository.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import type { CommandLog } from "../exec/child-command.js";
import { newestOfJob } from "../jobs/job-snapshots.js";
import { openConfiguredRepository } from "../jobs/open-repository.js";
import type { LogicalDbSource } from "../jobs/restore-by-source.js";
import { damagedObject } from "./damaged-object.js";
import { drillDatabase } from "./drill-database.js";
import { drillFiles } from "./drill-files.js";
import type { DrillReport } from "./drill-report.js";

export interface DrillOptions {
  signal: AbortSignal;
  log: CommandLog;
}

/**
 * Run the restore drill `drill` (a job with a `drill:` section): the newest
 * snapshot of drill.job in drill.repository, restored into a temporary
 * directory or replayed into a scratch database, verified, and cleaned up.
 * Throws DrillFailedError (naming the damaged object when damage was the
 * cause); the caller reports it.
 */
export async function runDrill(config: AgentConfig, drill: JobSpec, o: DrillOptions): Promise<DrillReport> {
  const d = drill.config.drill;
  const target = d && config.jobs[d.job];
  const source = target?.config.source;
  if (!d || !target || !source) throw new UsageError(`job ${drill.name} is not a drill of a backup job`);
  const repoName = d.repository ?? target.config.repositories?.[0] ?? "";
  const repo = await openConfiguredRepository(repoName, config.repositories[repoName]);
  try {
    repo.requireIdentity("a restore drill");
    const snap = newestOfJob(await repo.listSnapshots(o.signal), source);
    if (!snap)
      throw new DrillFailedError(`repository ${repoName} holds no snapshot of job ${d.job}: nothing to restore`, {
        hint: `run the job (cairn run --config F ${d.job}) or check that it backs up there`,
      });
    const base = { job: d.job, repository: repoName, snapshot: snap.id, snapshotTime: snap.time };
    return { ...base, ...(await restoreAndVerify(repo, snap, source, drill, o)) };
  } catch (e) {
    throw asDrillFailure(e, d.job, repoName);
  } finally {
    await repo.close();
  }
}

type Restored = Omit<DrillReport, "job" | "repository" | "snapshot" | "snapshotTime">;

async function restoreAndVerify(
  repo: Repository,
  snap: Snapshot,
  source: SourceConfig,
  drill: JobSpec,
  o: DrillOptions,
): Promise<Restored> {
  const d = drill.config.drill!;
  if (isLogicalDb(source)) {
    const r = await drillDatabase(repo, snap, source, d, drill.name, o);
    return { mode: "database", files: 1, ...r };
  }
  return { mode: "files", ...(await drillFiles(repo, snap, d, drill.name, o)) };
}

function isLogicalDb(s: SourceConfig): s is LogicalDbSource {
  return (s.type === "postgres" || s.type === "mysql") && s.mode === "logical";
}

/** Every failure becomes a DrillFailedError that says which job and repository were drilled, and the damaged object if one is named. */
function asDrillFailure(e: unknown, job: string, repo: string): DrillFailedError {
  const where = `drill of ${job} from ${repo}`;
  if (e instanceof DrillFailedError)
    return new DrillFailedError(`${where}: ${e.message}`, { objectKey: e.objectKey, hint: e.hint, cause: e });
  const objectKey = damagedObject(e);
  const message = e instanceof Error ? e.message : String(e);
  return new DrillFailedError(`${where}: ${message}${objectKey ? ` (damaged object ${objectKey})` : ""}`, {
    objectKey,
    hint: e instanceof CairnError ? e.hint : undefined,
    cause: e,
  });
}
