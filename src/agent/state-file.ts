import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RunResult } from "./metrics.js";

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

export interface AgentState {
  jobs: Record<string, { lastRun?: JobRunRecord; lastSuccess?: string }>;
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

/**
 * Record a run. Read-modify-write with an atomic rename: `cairn run` from a
 * CronJob and the agent may both write; the last writer wins per file, which
 * at worst drops the other's entry for one job until its next run.
 */
export async function recordRun(file: string, job: string, run: JobRunRecord): Promise<void> {
  const state = await readState(file);
  const prev = state.jobs[job] ?? {};
  state.jobs[job] = { lastRun: run, lastSuccess: run.result === "failure" ? prev.lastSuccess : run.finishedAt };
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + "\n");
  await rename(tmp, file);
}
