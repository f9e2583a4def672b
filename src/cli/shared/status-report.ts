import { redactUrl } from "../../agent/logger.js";
import { nextRunOf } from "../../agent/next-run.js";
import { checkReachable } from "../../agent/reachability.js";
import { ageSeconds, listNewestSnapshots, type NewestSnapshot } from "../../agent/snapshot-ages.js";
import { readState, stateFilePath } from "../../agent/state-file.js";
import { cacheRoot } from "../../jobs/cache-dir.js";
import { loadConfig } from "../../config/load-config.js";
import type { JobRunRecord } from "../../agent/state-file.js";
import { humanBytes, printJson } from "./print.js";
import { statusExitCode, statusProblems } from "./status-problems.js";
import { terminalText } from "./terminal-text.js";

export interface StatusOpts {
  config: string;
  json?: boolean;
}

/** The report `cairn status` prints (see status.ts); its exit code says what is wrong (status-problems.ts). */
export async function showStatus(o: StatusOpts): Promise<void> {
  const config = await loadConfig(o.config);
  const state = await readState(stateFilePath(cacheRoot(config.agent.cache_dir)));
  const repositories = await Promise.all(
    Object.entries(config.repositories).map(async ([name, r]) => ({
      name,
      url: redactUrl(r.url),
      ...(await checkReachable(r, 10_000)),
    })),
  );
  const newest = await listNewestSnapshots(config);
  const now = Date.now();
  const jobs = Object.values(config.jobs).map((j) => ({
    name: j.name,
    kind: j.kind,
    schedule: j.config.schedule ?? null,
    timezone: j.timezone ?? null,
    nextRun: j.config.schedule ? (nextRunOf(j.config.schedule, j.timezone)?.toISOString() ?? null) : null,
    lastRun: state.jobs[j.name]?.lastRun ?? null,
    lastSuccess: state.jobs[j.name]?.lastSuccess ?? null,
    drillOf: j.config.drill?.job ?? null,
    maxAgeSeconds: j.maxAgeMs === undefined ? null : j.maxAgeMs / 1000,
    snapshots: newest.filter((n) => n.job === j.name).map((n) => snapshotAge(n, now, j.maxAgeMs)),
  }));
  const problems = statusProblems(jobs, repositories);
  process.exitCode = statusExitCode(problems);
  if (o.json) return printJson({ config: config.file, jobs, repositories, problems });
  const out: string[] = ["jobs:"];
  for (const j of jobs) {
    const last = j.lastRun
      ? `${j.lastRun.result} at ${j.lastRun.finishedAt} (${j.lastRun.durationSeconds.toFixed(1)} s)${j.lastRun.error ? `: ${j.lastRun.error}` : ""}`
      : "never run";
    out.push(
      `  ${j.name} (${j.drillOf ? `drill of ${j.drillOf}` : j.kind}): last run ${last}; next run ${j.nextRun ?? "not scheduled"}`,
    );
    if (j.lastRun?.drill) out.push(`    last drill: ${drillLine(j.lastRun)}`);
    for (const n of j.snapshots) out.push(`    newest snapshot in ${n.repository}: ${snapshotLine(n)}`);
  }
  out.push("repositories:");
  for (const r of repositories)
    out.push(`  ${r.name} ${r.url}: ${r.reachable ? "reachable" : `NOT reachable: ${r.error}`}`);
  if (problems.length) out.push(`problems (exit ${process.exitCode}):`, ...problems.map((p) => `  ${p.message}`));
  // The state file's errors, snapshot records and storage messages are not ours: each line is escaped whole.
  process.stdout.write(out.map(terminalText).join("\n") + "\n");
}

interface SnapshotAge {
  repository: string;
  snapshot: string | null;
  time: string | null;
  ageSeconds: number | null;
  /** Older than the job's max_age (or none at all while max_age is set). */
  stale: boolean;
  error: string | null;
}

function snapshotAge(n: NewestSnapshot, now: number, maxAgeMs: number | undefined): SnapshotAge {
  const age = n.time === undefined ? null : ageSeconds(n.time, now);
  const stale = maxAgeMs !== undefined && n.error === undefined && (age === null || age > maxAgeMs / 1000);
  return {
    repository: n.repository,
    snapshot: n.snapshot ?? null,
    time: n.time ?? null,
    ageSeconds: age,
    stale,
    error: n.error ?? null,
  };
}

function snapshotLine(n: SnapshotAge): string {
  if (n.error !== null) return `cannot list: ${n.error}`;
  if (n.snapshot === null || n.time === null || n.ageSeconds === null)
    return `none${n.stale ? " (max_age exceeded)" : ""}`;
  return `${n.snapshot.slice(0, 8)} at ${n.time} (age ${span(n.ageSeconds)})${n.stale ? "; OLDER THAN max_age" : ""}`;
}

function drillLine(r: JobRunRecord): string {
  const d = r.drill!;
  if (r.result === "failure")
    return `FAILED (drill of ${d.job})${d.damagedObject ? `; damaged object ${d.damagedObject}` : ""}`;
  const what = d.mode === "database" ? "replayed the dump" : `restored ${d.files ?? 0} files`;
  return `${what}, ${humanBytes(d.restoredBytes ?? 0)} in ${(d.restoreSeconds ?? 0).toFixed(1)} s from ${d.repository} (snapshot ${d.snapshot?.slice(0, 8)} of ${d.snapshotTime})${d.queryResult !== undefined ? `; query returned ${JSON.stringify(d.queryResult)}` : ""}`;
}

/** 93784 -> "1d2h3m": an age at a glance. */
function span(seconds: number): string {
  const s = Math.round(seconds);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, u]) => `${n}${u}`).join("") : "0s";
}
