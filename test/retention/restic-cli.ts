/**
 * Drives the real `restic` binary for the retention comparison tests
 * (docs/RELIABILITY.md S25 "retention vs restic"): a repository per timeline, backups
 * of a tiny directory at chosen times, `forget --dry-run --json` per policy.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ResticRepo {
  env: NodeJS.ProcessEnv;
}

export async function resticAvailable(): Promise<boolean> {
  try {
    await run("restic", ["version"]);
    return true;
  } catch {
    return false;
  }
}

export async function restic(repo: ResticRepo, args: string[]): Promise<string> {
  const r = await run("restic", args, { env: repo.env, maxBuffer: 64 * 1024 * 1024 });
  return r.stdout;
}

export async function resticInit(dir: string, tz: string): Promise<ResticRepo> {
  const repo = {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      TZ: tz,
      RESTIC_PASSWORD: "cairn-test",
      RESTIC_REPOSITORY: `${dir}/restic`,
      RESTIC_CACHE_DIR: `${dir}/restic-cache`,
    },
  };
  await restic(repo, ["init", "-q"]);
  return repo;
}

export interface ResticSnapshot {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags?: string[];
}

export async function resticSnapshots(repo: ResticRepo): Promise<ResticSnapshot[]> {
  return JSON.parse(await restic(repo, ["snapshots", "--json"])) as ResticSnapshot[];
}

interface ResticGroup {
  keep: { id: string }[] | null;
  remove: { id: string }[] | null;
  /** Parallel to `keep` (restic 0.14 leaves the id out of the snapshot here). */
  reasons: { matches: string[] }[] | null;
}

/** id -> keep reasons, or "remove", for every snapshot `restic forget --dry-run --json` considered. */
export async function resticForget(repo: ResticRepo, flags: string[]): Promise<Map<string, string[] | "remove">> {
  const groups = JSON.parse(await restic(repo, ["forget", "--dry-run", "--json", ...flags])) as ResticGroup[];
  const out = new Map<string, string[] | "remove">();
  for (const g of groups) {
    (g.keep ?? []).forEach((k, i) => out.set(k.id, g.reasons?.[i]?.matches ?? []));
    for (const s of g.remove ?? []) out.set(s.id, "remove");
  }
  return out;
}

/** The UTC offset (minutes) a time string like `2020-10-25T02:30:00+01:00` carries. */
export function offsetOf(time: string): number {
  const m = /([+-])(\d\d):(\d\d)$/.exec(time);
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
