import type { SourceConfig } from "../../config/source-schema.js";
import { UsageError } from "../../core/errors.js";
import { openRepo, type RepoOpts } from "./repo-options.js";
import type { Repository } from "../../repository/repository.js";
import type { Snapshot } from "../../repository/format/snapshot-record.js";
import type { DbSourceConfig } from "../../sources/db-source-schema.js";

export interface ConfigRestoreFlags extends RepoOpts {
  config?: string;
  repository?: string;
  source?: string;
}

/**
 * What `cairn restore` restores: with --config, JOB [SNAPSHOT] of that
 * config; otherwise SNAPSHOT of --repo, restored as --source says when given.
 */
export async function openRestoreTarget(
  o: ConfigRestoreFlags,
  first: string,
  second: string | undefined,
): Promise<{ repo: Repository; snap: Snapshot; source?: DbSourceConfig }> {
  if (o.config) return configRestoreTarget(o, first, second);
  if (second !== undefined)
    throw new UsageError(`unexpected argument ${JSON.stringify(second)}`, { hint: "JOB SNAPSHOT needs --config FILE" });
  const source = o.source === undefined ? undefined : (await import("./source-flag.js")).parseSourceFlag(o.source);
  const repo = await openRepo(o);
  repo.requireIdentity("restore");
  return { repo, snap: await repo.findSnapshot(first), source };
}

/**
 * `cairn restore --config F JOB [SNAPSHOT]`: the job's source section, its
 * repository opened as the config says (identity from --identity or the
 * repository's identity_file), and the snapshot: the one given, else the
 * job's latest (the latest whose recorded source is this job's).
 */
export async function configRestoreTarget(
  o: ConfigRestoreFlags,
  job: string,
  ref: string | undefined,
): Promise<{ repo: Repository; snap: Snapshot; source: DbSourceConfig }> {
  // The config and agent modules load only here: a plain `cairn restore` does not pay their startup.
  const [{ loadConfig }, { snapshotOfJob }, { openConfiguredRepository }] = await Promise.all([
    import("../../config/load-config.js"),
    import("../../jobs/job-snapshots.js"),
    import("../../jobs/open-repository.js"),
  ]);
  const config = await loadConfig(o.config!);
  const spec = config.jobs[job];
  if (!spec)
    throw new UsageError(`${o.config} has no job ${JSON.stringify(job)}`, {
      hint: `jobs: ${Object.keys(config.jobs).join(", ")}`,
    });
  const source = spec.config.source;
  if (!source)
    throw new UsageError(`job ${job} is a ${spec.kind} job: it has no source to restore`, {
      hint: "name a backup job of the config",
    });
  if (!isDbSource(source))
    throw new UsageError(`job ${job} backs up files`, {
      hint: "restore files with: cairn restore SNAPSHOT --target DIR",
    });
  const jobRepos = spec.config.repositories ?? [];
  const name = o.repository ?? jobRepos[0] ?? "";
  const r = config.repositories[name];
  if (!r || !jobRepos.includes(name))
    throw new UsageError(`job ${job} does not back up to a repository named ${JSON.stringify(name)}`, {
      hint: `its repositories: ${jobRepos.join(", ") || "none"}`,
    });
  const identityFile = o.identity ?? r.identity_file;
  // A restore needs the identity, and the identity unwraps the agent key from the repository's key file: on a
  // recovery machine the config's agent_key_file need not exist (docs/DISASTER-RECOVERY.md).
  const keys = identityFile === undefined ? r : { ...r, agent_key_file: undefined, agent_key: undefined };
  const repo = await openConfiguredRepository(name, { ...keys, identity_file: identityFile });
  repo.requireIdentity("restore");
  const snap = await repo.findSnapshot(ref ?? "latest", ref ? undefined : snapshotOfJob(source));
  return { repo, snap, source };
}

function isDbSource(s: SourceConfig): s is DbSourceConfig {
  return s.type !== "files";
}
