/**
 * `cairn status` exit codes, beyond cli/main.ts's 0 ok, 1 failure, 2 usage,
 * 3 partial (docs/CONFIG.md §cairn run and cairn status). When several apply
 * the lowest wins: an unreachable repository is usually why a job failed, and
 * a failed job why its snapshot grew old.
 */
export const STATUS_EXIT = { unreachable: 4, failed: 5, stale: 6 } as const;

export interface StatusProblem {
  kind: keyof typeof STATUS_EXIT;
  job?: string;
  repository?: string;
  message: string;
}

interface JobView {
  name: string;
  lastRun: { result: string; error?: string } | null;
  snapshots: { repository: string; stale: boolean; ageSeconds: number | null }[];
  maxAgeSeconds: number | null;
}

/** What makes `cairn status` exit non-zero: unreachable repositories, jobs whose last run failed, snapshots past max_age. */
export function statusProblems(
  jobs: readonly JobView[],
  repositories: readonly { name: string; reachable: boolean; error?: string }[],
): StatusProblem[] {
  const out: StatusProblem[] = [];
  for (const r of repositories)
    if (!r.reachable)
      out.push({
        kind: "unreachable",
        repository: r.name,
        message: `repository ${r.name} is not reachable: ${r.error}`,
      });
  for (const j of jobs)
    if (j.lastRun?.result === "failure")
      out.push({ kind: "failed", job: j.name, message: `job ${j.name}'s last run failed: ${j.lastRun.error}` });
  for (const j of jobs)
    for (const s of j.snapshots.filter((n) => n.stale))
      out.push({
        kind: "stale",
        job: j.name,
        repository: s.repository,
        message:
          s.ageSeconds === null
            ? `job ${j.name} has no snapshot in ${s.repository} (max_age ${j.maxAgeSeconds} s)`
            : `job ${j.name}'s newest snapshot in ${s.repository} is older than its max_age of ${j.maxAgeSeconds} s`,
      });
  return out;
}

/** 0 with no problem, else the lowest code among them. */
export function statusExitCode(problems: readonly StatusProblem[]): number {
  return problems.length === 0 ? 0 : Math.min(...problems.map((p) => STATUS_EXIT[p.kind]));
}
