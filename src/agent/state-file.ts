import { readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { RunResult } from "./metrics/agent-metrics.js";
import { makeDirs } from "../fs/writable-dir.js";

/** What `cairn status` shows about a job's last run; written by the agent and by `cairn run`. */
export interface JobRunRecord {
  result: RunResult;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  attempts: number;
  /** Snapshot ids written, per repository name. */
  snapshots?: Record<string, string>;
  /** The error's message (never a secret: messages name config keys, not values). */
  error?: string;
  /** A drill job's run: what was restored, how long it took; on failure the damaged object, when one was named. */
  drill?: DrillRecord;
  /** The run never finished: its process was killed (out of memory, SIGKILL, power loss); found at the next start. */
  interrupted?: boolean;
}

export interface DrillRecord {
  job: string;
  repository?: string;
  snapshot?: string;
  snapshotTime?: string;
  mode?: "files" | "database";
  files?: number;
  restoredBytes?: number;
  restoreSeconds?: number;
  queryResult?: string;
  /** The scratch database the dump was replayed into (dropped by then). */
  scratchDatabase?: string;
  damagedObject?: string;
}

/**
 * A run in progress, written before it starts and removed when it is
 * recorded: one still there when no process runs it is a run that was killed
 * (an OOM kill leaves no log line of its own).
 */
export interface RunningRecord {
  startedAt: string;
  /** Which process runs it, on which machine: another live `cairn run` on this host is not a dead run. */
  pid: number;
  hostname: string;
  trigger: string;
  /** The run's UUID (healthchecks.io pairs its start and end pings by it). */
  runId: string;
}

export interface JobState {
  lastRun?: JobRunRecord;
  lastSuccess?: string;
  running?: RunningRecord;
}

export interface AgentState {
  jobs: Record<string, JobState>;
}

export function stateFilePath(root: string): string {
  return join(root, "agent-state.json");
}

export async function readState(file: string): Promise<AgentState> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as AgentState;
    return parsed && typeof parsed.jobs === "object" ? parsed : { jobs: {} };
  } catch {
    // Missing or unreadable state only loses "last run" in `status`; it must never stop a backup.
    return { jobs: {} };
  }
}

/** Writes to one file from this process, one at a time: two jobs ending together must not drop each other's entry. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Read-modify-write with an atomic rename, queued behind this process's
 * other writes to `file`. `cairn run` from a CronJob and the agent may both
 * write; the last writer wins per file, which at worst drops the other's
 * entry for one job until its next run.
 */
function update<T>(file: string, change: (state: AgentState) => T): Promise<T> {
  const write = async () => {
    const state = await readState(file);
    const out = change(state);
    await makeDirs(dirname(file));
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, 2) + "\n");
    await rename(tmp, file);
    return out;
  };
  const next = (queues.get(file) ?? Promise.resolve()).then(write, write);
  const settled = next.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => queues.get(file) === settled && queues.delete(file));
  return next;
}

/** Record a finished run (and drop its running marker). */
export function recordRun(file: string, job: string, run: JobRunRecord): Promise<void> {
  return update(file, (state) => {
    const prev = state.jobs[job] ?? {};
    state.jobs[job] = { lastRun: run, lastSuccess: run.result === "failure" ? prev.lastSuccess : run.finishedAt };
  });
}

/** Mark a run as started, before it does anything. */
export function recordStart(
  file: string,
  job: string,
  running: Omit<RunningRecord, "pid" | "hostname">,
): Promise<void> {
  return update(file, (state) => {
    state.jobs[job] = { ...state.jobs[job], running: { ...running, pid: process.pid, hostname: hostname() } };
  });
}

/**
 * Running markers left by processes that are gone (of `only` when given),
 * each turned into a failed last run and removed, so it is reported once.
 * The file is not written when there is none (a read-only state stays quiet).
 */
export async function takeInterruptedRuns(file: string, only?: string): Promise<InterruptedRun[]> {
  const dead = (job: string, s: JobState) =>
    s.running !== undefined && (only === undefined || job === only) && !stillRunning(s.running);
  if (!Object.entries((await readState(file)).jobs).some(([job, s]) => dead(job, s))) return [];
  return update(file, (state) => {
    const found: InterruptedRun[] = [];
    const now = new Date().toISOString();
    for (const [job, s] of Object.entries(state.jobs)) {
      if (!s.running || !dead(job, s)) continue;
      const running = s.running;
      const record: JobRunRecord = {
        result: "failure",
        startedAt: running.startedAt,
        finishedAt: now,
        durationSeconds: Math.max(0, (Date.parse(now) - Date.parse(running.startedAt)) / 1000),
        attempts: 0,
        error: `interrupted: the run started at ${running.startedAt} never finished; its process (pid ${running.pid} on ${running.hostname}) ended without recording it (killed: out of memory, SIGKILL, power loss; or stopped past the grace period)`,
        interrupted: true,
      };
      state.jobs[job] = { lastRun: record, lastSuccess: s.lastSuccess };
      found.push({ job, running, record });
    }
    return found;
  });
}

export interface InterruptedRun {
  job: string;
  running: RunningRecord;
  /** The failed last run recorded in its place. */
  record: JobRunRecord;
}

/** A marker is live only when written by another process on this machine that still exists (a `cairn run` next to the agent). */
function stillRunning(r: RunningRecord): boolean {
  if (r.hostname !== hostname() || r.pid === process.pid) return false;
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
