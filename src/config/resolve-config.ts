import type { ConfigProblem } from "../core/errors.js";
import type { AgentConfig, JobSpec, PruneSpec } from "./agent-config.js";
import { checkRepository, checkRetentionSpans, checkSource, retryBackoff } from "./check-values.js";
import type { DrillConfig, RawConfig } from "./config-schema.js";
import { boundedDuration, SPAN, TIMER } from "./duration-bounds.js";
import { notifyTargets } from "./notify-schema.js";
import type { Declared } from "./parse-sections.js";
import { readRetention } from "./retention-block.js";
import type { SourceConfig } from "./source-schema.js";
import { parsePercent, parseSize } from "./units.js";

/** A percentage or size, parsed as `cairn prune` parses its flags (config/units.ts); a bad one becomes a problem at `path`. */
function unit(parse: () => number, path: string, expected: string, problems: ConfigProblem[]): number | undefined {
  try {
    return parse();
  } catch {
    problems.push({ path, message: expected });
    return undefined;
  }
}

/**
 * The checks across sections (names a job refers to, what a kind of job may
 * have) and the values turned into what the agent uses (durations in
 * milliseconds, bounded; retention; notification targets), each problem
 * recorded rather than thrown. `declared` holds every name the file gives,
 * including those of sections that did not parse, which are not checked again.
 */
export function resolveConfig(
  c: RawConfig,
  declared: Declared,
  file: string,
  problems: ConfigProblem[],
): Omit<AgentConfig, "secrets"> {
  const repoNames = [...declared.repositories];
  const known = (name: string, path: string) => {
    if (!declared.repositories.has(name))
      problems.push({
        path,
        message: `no repository named ${JSON.stringify(name)}; defined: ${repoNames.join(", ") || "none"}`,
      });
  };
  if (declared.jobs.size === 0) problems.push({ path: "jobs", message: "expected at least one job" });
  for (const [name, r] of Object.entries(c.repositories)) {
    if (r.agent_key !== undefined && r.agent_key_file !== undefined)
      problems.push({ path: `repositories.${name}.agent_key`, message: "give agent_key or agent_key_file, not both" });
    checkRepository(r, `repositories.${name}`, problems);
  }
  const jobs: Record<string, JobSpec> = {};
  for (const [name, j] of Object.entries(c.jobs)) {
    const spec = resolveJob(name, j, { c, declared }, problems, known);
    if (spec) jobs[name] = spec;
  }
  const prune = c.agent.prune && resolvePrune(c, problems, known);
  const gracePeriodMs = boundedDuration(c.agent.grace_period, "agent.grace_period", TIMER, problems);
  return { file, agent: c.agent, repositories: c.repositories, jobs, prune, gracePeriodMs };
}

type Known = (name: string, path: string) => void;

/** The parsed sections and every declared name, for the checks that look across jobs. */
interface Sections {
  c: RawConfig;
  declared: Declared;
}

function resolveJob(
  name: string,
  j: RawConfig["jobs"][string],
  sections: Sections,
  problems: ConfigProblem[],
  known: Known,
): JobSpec | undefined {
  const path = `jobs.${name}`;
  const kind = checkKind(name, j, sections, problems, known);
  if (kind === undefined) return undefined;
  if (j.source) checkSource(j.source, `${path}.source`, problems);
  const retention = j.retention && readRetention(j.retention, `${path}.retention`, problems);
  if (retention) checkRetentionSpans(retention, `${path}.retention`, problems);
  return {
    name,
    kind,
    config: j,
    retention,
    jitterMs: j.jitter ? boundedDuration(j.jitter, `${path}.jitter`, TIMER, problems) : 0,
    retryBackoffMs: retryBackoff(j.retry, `${path}.retry`, problems),
    hookTimeoutMs: boundedDuration(j.hooks?.timeout ?? "5m", `${path}.hooks.timeout`, TIMER, problems),
    notifyTimeoutMs: boundedDuration(j.notify?.timeout ?? "10s", `${path}.notify.timeout`, TIMER, problems),
    notifyTargets: notifyTargets(j.notify),
    maxAgeMs: j.max_age === undefined ? undefined : boundedDuration(j.max_age, `${path}.max_age`, SPAN, problems),
    timezone: j.timezone ?? sections.c.agent.timezone,
  };
}

/**
 * The job's kind and the checks that depend on it; undefined when it has
 * none or several. A source:, sync: or drill: that did not parse is reported
 * already: the kind then stays open and its checks are skipped.
 */
function checkKind(
  name: string,
  j: RawConfig["jobs"][string],
  { c, declared }: Sections,
  problems: ConfigProblem[],
  known: Known,
): JobSpec["kind"] | undefined {
  const path = `jobs.${name}`;
  const broken = declared.broken.get(path) ?? new Set<string>();
  const oneKind = [j.source, j.sync, j.drill].filter((x) => x !== undefined).length === 1;
  if (!oneKind && !["source", "sync", "drill"].some((k) => broken.has(k))) {
    problems.push({
      path,
      message:
        "a job has exactly one of source: (a backup), sync: (a copy between repositories) or drill: (a restore drill)",
    });
    return undefined;
  }
  const kind = j.sync ? "sync" : j.drill ? "drill" : "backup";
  if (!oneKind) return kind;
  if (kind === "backup") checkBackupJob(name, j, { c, declared, broken }, problems, known);
  else if (kind === "sync") checkSyncJob(name, j, problems, known);
  // A drill of a job whose own section is broken is checked once that job is fixed.
  else if (!declared.broken.has(`jobs.${j.drill!.job}`)) checkDrillJob(name, j, c, problems);
  if (j.max_age !== undefined && kind !== "backup")
    problems.push({ path: `${path}.max_age`, message: "only a backup job has snapshots whose age to watch" });
  return kind;
}

function checkBackupJob(
  name: string,
  j: RawConfig["jobs"][string],
  { c, declared, broken }: Sections & { broken: ReadonlySet<string> },
  problems: ConfigProblem[],
  known: Known,
): void {
  const path = `jobs.${name}`;
  if (!j.repositories && !broken.has("repositories"))
    problems.push({
      path: `${path}.repositories`,
      message: "missing: a backup job lists the repositories it writes to",
    });
  for (const [i, r] of (j.repositories ?? []).entries()) {
    known(r, `${path}.repositories.${i}`);
    // A repository whose own section is broken is checked once it is fixed.
    const repo = declared.broken.has(`repositories.${r}`) ? undefined : c.repositories[r];
    if (repo && !repo.agent_key && repo.agent_key_file === undefined)
      problems.push({
        path: `repositories.${r}`,
        message: `job ${name} backs up to it, so it needs agent_key_file or a non-empty agent_key`,
      });
  }
}

function checkSyncJob(name: string, j: RawConfig["jobs"][string], problems: ConfigProblem[], known: Known): void {
  const path = `jobs.${name}`;
  for (const key of ["repositories", "retention"] as const)
    if (j[key] !== undefined)
      problems.push({
        path: `${path}.${key}`,
        message: "not allowed on a sync job (it copies objects; retention belongs to the backup job)",
      });
  if (!j.sync) return;
  known(j.sync.from, `${path}.sync.from`);
  known(j.sync.to, `${path}.sync.to`);
  if (j.sync.from === j.sync.to)
    problems.push({ path: `${path}.sync.to`, message: "expected a repository other than sync.from" });
}

/** A drill restores another backup job's snapshots, so it needs that job, one of its repositories, and the identity there. */
function checkDrillJob(name: string, j: RawConfig["jobs"][string], c: RawConfig, problems: ConfigProblem[]): void {
  const path = `jobs.${name}`;
  for (const key of ["repositories", "retention"] as const)
    if (j[key] !== undefined)
      problems.push({
        path: `${path}.${key}`,
        message: "not allowed on a drill job (it restores drill.job's snapshots from drill.repository)",
      });
  const d = j.drill;
  if (!d) return;
  const target = c.jobs[d.job];
  if (!target?.source) {
    problems.push({
      path: `${path}.drill.job`,
      message: `expected the name of a backup job (one with source:); backup jobs: ${
        Object.keys(c.jobs)
          .filter((k) => c.jobs[k].source)
          .join(", ") || "none"
      }`,
    });
    return;
  }
  const repo = d.repository ?? target.repositories?.[0];
  if (repo !== undefined && !(target.repositories ?? []).includes(repo))
    problems.push({
      path: `${path}.drill.repository`,
      message: `job ${d.job} does not back up to ${JSON.stringify(repo)}; its repositories: ${(target.repositories ?? []).join(", ")}`,
    });
  else if (repo !== undefined && c.repositories[repo] && c.repositories[repo].identity_file === undefined)
    problems.push({
      path: `repositories.${repo}.identity_file`,
      message: `drill ${name} restores from it, so it needs identity_file (the restore identity)`,
    });
  checkDrillOptions(`${path}.drill`, d, target.source, problems);
}

/** query/expect only where there is a scratch database to ask (logical dumps); sample only where there are files to pick. */
function checkDrillOptions(path: string, d: DrillConfig, source: SourceConfig, problems: ConfigProblem[]): void {
  const logicalDb = (source.type === "postgres" || source.type === "mysql") && source.mode === "logical";
  for (const key of ["query", "expect"] as const)
    if (d[key] !== undefined && !logicalDb)
      problems.push({
        path: `${path}.${key}`,
        message: `only for a drill of a postgres or mysql logical job (job ${d.job} is ${source.type})`,
      });
  if (d.expect !== undefined && d.query === undefined)
    problems.push({ path: `${path}.expect`, message: "expect needs a query whose output to compare" });
  if (d.sample !== undefined && logicalDb)
    problems.push({ path: `${path}.sample`, message: "a database dump is replayed whole; sample is for file jobs" });
}

function resolvePrune(c: RawConfig, problems: ConfigProblem[], known: Known): PruneSpec | undefined {
  const p = c.agent.prune;
  if (!p) return undefined;
  const repositories = p.repositories ?? backedUpRepositories(c);
  if (p.repositories) p.repositories.forEach((r, i) => known(r, `agent.prune.repositories.${i}`));
  return {
    config: p,
    repositories,
    graceMs: boundedDuration(p.grace, "agent.prune.grace", SPAN, problems),
    maxUnused:
      unit(
        () => parsePercent(p.max_unused, "agent.prune.max_unused"),
        "agent.prune.max_unused",
        "expected a percentage such as 5%, 0% or unlimited",
        problems,
      ) ?? 0,
    maxRepackBytes:
      p.max_repack_size === undefined
        ? undefined
        : unit(
            () => parseSize(p.max_repack_size!, "agent.prune.max_repack_size"),
            "agent.prune.max_repack_size",
            "expected a size such as 1GiB, 500MiB or 2G",
            problems,
          ),
    timezone: p.timezone ?? c.agent.timezone,
  };
}

/** Prune by default covers every repository a backup job writes to (sync targets are pruned at their source). */
function backedUpRepositories(c: RawConfig): string[] {
  return [...new Set(Object.values(c.jobs).flatMap((j) => (j.source ? (j.repositories ?? []) : [])))];
}
