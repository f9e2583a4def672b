import { runJob, type JobOutcome } from "../../agent/job-runner.js";
import { createLogger } from "../../agent/logger.js";
import { stateFilePath } from "../../agent/state-file.js";
import { cacheRoot } from "../../jobs/cache-dir.js";
import type { AgentConfig, JobSpec } from "../../config/agent-config.js";
import { onInterrupt } from "./signals.js";

/**
 * Run one job of a loaded config now, as the agent would (state file,
 * notifications, one summary log line), stopping cleanly on SIGINT/SIGTERM:
 * what `cairn run` and `cairn drill` share.
 */
export async function runJobNow(config: AgentConfig, job: JobSpec): Promise<JobOutcome> {
  const log = createLogger(config.agent.log_level);
  const abort = new AbortController();
  const off = onInterrupt(abort);
  try {
    const root = cacheRoot(config.agent.cache_dir);
    return await runJob(job, {
      config,
      cacheRoot: root,
      log,
      signal: abort.signal,
      stateFile: stateFilePath(root),
      trigger: "manual",
    });
  } finally {
    off();
  }
}
