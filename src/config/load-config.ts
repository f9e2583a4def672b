import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { ConfigInvalidError, type ConfigProblem } from "../core/errors.js";
import { parseExactDuration } from "../retention/duration.js";
import type { AgentConfig, JobSpec, PruneSpec } from "./agent-config.js";
import { ConfigSchema, type DrillConfig, type RawConfig } from "./config-schema.js";
import { joinPath, substituteTree } from "./env-substitute.js";
import { notifyTargets } from "./notify-schema.js";
import { readRetention } from "./retention-block.js";
import type { SourceConfig } from "./source-schema.js";
import { parsePercent, parseSize } from "./units.js";
import { lineOf } from "./yaml-lines.js";

/** Read and validate a config file; throws ConfigInvalidError listing every problem found. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new ConfigInvalidError(file, [
      { path: "", message: `cannot read the config file: ${e.code === "ENOENT" ? "no such file" : e.message}` },
    ]);
  });
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigInvalidError(
      file,
      doc.errors.map((e) => ({
        path: "",
        line: lc.linePos(e.pos[0]).line,
        message: `YAML syntax: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const at = (path: string, atKey = false) => lineOf(doc, lc, path === "" ? [] : path.split("."), atKey);
  const problems: ConfigProblem[] = [];
  let raw: unknown;
  try {
    // yaml caps alias expansion (maxAliasCount), so a "billion laughs" file is refused, not expanded.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigInvalidError(file, [
      { path: "", line: 1, message: `YAML: ${(e as Error).message}; use fewer aliases (*name)` },
    ]);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigInvalidError(file, [
      { path: "", line: 1, message: "expected a mapping with repositories:, jobs: and optionally agent:" },
    ]);
  }
  const substituted = substituteTree(raw, env, "", problems);
  const parsed = ConfigSchema.safeParse(substituted);
  if (!parsed.success) problems.push(...schemaProblems(parsed.error, doc, lc));
  const config = parsed.success ? resolve(parsed.data, file, problems) : undefined;
  if (problems.length > 0 || !config) {
    throw new ConfigInvalidError(
      file,
      problems.map((p) => ({ ...p, line: p.line ?? at(p.path, /unknown|given twice/.test(p.message)) })),
    );
  }
  return config;
}

function schemaProblems(error: z.ZodError, doc: Document, lc: LineCounter): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys)
        out.push({
          path: joinPath(path, k),
          line: lineOf(doc, lc, [...issue.path.map(String), k], true),
          message: "unknown key (misspelt? docs/CONFIG.md lists every key)",
        });
      continue;
    }
    if (issue.code === "invalid_key") {
      out.push({
        path,
        line: lineOf(doc, lc, issue.path.map(String), true),
        message: `invalid name: ${issue.issues[0]?.message ?? issue.message}`,
      });
      continue;
    }
    const message = issue.message
      .replace(/^Invalid input: expected (\w+), received undefined$/, "missing: expected $1")
      .replace(/^Invalid input: /, "");
    out.push({ path, line: lineOf(doc, lc, issue.path.map(String)), message });
  }
  return out;
}

function duration(text: string, path: string, problems: ConfigProblem[]): number {
  try {
    return parseExactDuration(text, path);
  } catch {
    problems.push({ path, message: `expected a duration such as 30s, 5m, 1h30m` });
    return 0;
  }
}

/** A percentage or size, parsed as `cairn prune` parses its flags (config/units.ts); a bad one becomes a problem at `path`. */
function unit(parse: () => number, path: string, expected: string, problems: ConfigProblem[]): number | undefined {
  try {
    return parse();
  } catch {
    problems.push({ path, message: expected });
    return undefined;
  }
}

function resolve(c: RawConfig, file: string, problems: ConfigProblem[]): AgentConfig | undefined {
  const repoNames = Object.keys(c.repositories);
  const known = (name: string, path: string) => {
    if (!repoNames.includes(name))
      problems.push({
        path,
        message: `no repository named ${JSON.stringify(name)}; defined: ${repoNames.join(", ") || "none"}`,
      });
  };
  if (Object.keys(c.jobs).length === 0) problems.push({ path: "jobs", message: "expected at least one job" });
  for (const [name, r] of Object.entries(c.repositories)) {
    if (r.agent_key !== undefined && r.agent_key_file !== undefined)
      problems.push({ path: `repositories.${name}.agent_key`, message: "give agent_key or agent_key_file, not both" });
  }
  const jobs: Record<string, JobSpec> = {};
  for (const [name, j] of Object.entries(c.jobs)) {
    const spec = resolveJob(name, j, c, problems, known);
    if (spec) jobs[name] = spec;
  }
  const prune = c.agent.prune && resolvePrune(c, problems, known);
  const gracePeriodMs = duration(c.agent.grace_period, "agent.grace_period", problems);
  return { file, agent: c.agent, repositories: c.repositories, jobs, prune, gracePeriodMs };
}

type Known = (name: string, path: string) => void;

function resolveJob(
  name: string,
  j: RawConfig["jobs"][string],
  c: RawConfig,
  problems: ConfigProblem[],
  known: Known,
): JobSpec | undefined {
  const path = `jobs.${name}`;
  if ([j.source, j.sync, j.drill].filter((x) => x !== undefined).length !== 1) {
    problems.push({
      path,
      message:
        "a job has exactly one of source: (a backup), sync: (a copy between repositories) or drill: (a restore drill)",
    });
    return undefined;
  }
  const kind = j.source ? "backup" : j.sync ? "sync" : "drill";
  if (kind === "backup") checkBackupJob(name, j, c, problems, known);
  else if (kind === "sync") checkSyncJob(name, j, problems, known);
  else checkDrillJob(name, j, c, problems);
  if (j.max_age !== undefined && kind !== "backup")
    problems.push({ path: `${path}.max_age`, message: "only a backup job has snapshots whose age to watch" });
  const retention = j.retention && readRetention(j.retention, `${path}.retention`, problems);
  return {
    name,
    kind,
    config: j,
    retention,
    jitterMs: j.jitter ? duration(j.jitter, `${path}.jitter`, problems) : 0,
    retryBackoffMs: duration(j.retry.backoff, `${path}.retry.backoff`, problems),
    hookTimeoutMs: duration(j.hooks?.timeout ?? "5m", `${path}.hooks.timeout`, problems),
    notifyTimeoutMs: duration(j.notify?.timeout ?? "10s", `${path}.notify.timeout`, problems),
    notifyTargets: notifyTargets(j.notify),
    maxAgeMs: j.max_age === undefined ? undefined : duration(j.max_age, `${path}.max_age`, problems),
    timezone: j.timezone ?? c.agent.timezone,
  };
}

function checkBackupJob(
  name: string,
  j: RawConfig["jobs"][string],
  c: RawConfig,
  problems: ConfigProblem[],
  known: Known,
): void {
  const path = `jobs.${name}`;
  if (!j.repositories)
    problems.push({
      path: `${path}.repositories`,
      message: "missing: a backup job lists the repositories it writes to",
    });
  for (const [i, r] of (j.repositories ?? []).entries()) {
    known(r, `${path}.repositories.${i}`);
    const repo = c.repositories[r];
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
    graceMs: duration(p.grace, "agent.prune.grace", problems),
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
