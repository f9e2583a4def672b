import type { AgentConfig } from "../config/agent-config.js";
import { prune } from "../maintenance/prune.js";
import type { Logger } from "./logger.js";
import type { AgentMetrics } from "./metrics/agent-metrics.js";
import { openConfiguredRepository } from "../jobs/open-repository.js";

/**
 * `agent.prune`: prune each configured repository in turn, as `cairn prune`
 * would. A failure on one repository is logged and counted and does not stop
 * the others.
 */
export async function runPrune(
  c: AgentConfig,
  o: { log: Logger; metrics?: AgentMetrics; signal: AbortSignal },
): Promise<void> {
  const p = c.prune;
  if (!p) return;
  for (const name of p.repositories) {
    if (o.signal.aborted) return;
    const started = Date.now();
    try {
      const repo = await openConfiguredRepository(name, c.repositories[name]);
      try {
        const r = await prune(repo, {
          maxUnused: p.maxUnused,
          maxRepackBytes: p.maxRepackBytes,
          graceMs: p.graceMs,
          signal: o.signal,
        });
        o.metrics?.pruneBytesFreed.inc({ repository: name }, r.bytesFreed);
        o.metrics?.pruneRuns.inc({ repository: name, result: "success" });
        o.metrics?.pruneLastSuccess.set({ repository: name }, Date.now() / 1000);
        o.log.info(
          {
            event: "prune_run",
            repository: name,
            result: "success",
            duration_s: (Date.now() - started) / 1000,
            bytes_freed: r.bytesFreed,
            packs_deleted: r.packsDeleted,
            packs_marked: r.packsMarked,
            packs_repacked: r.packsRepacked,
            snapshots: r.snapshots,
          },
          `prune of ${name} freed ${r.bytesFreed} bytes`,
        );
      } finally {
        await repo.close();
      }
    } catch (e) {
      o.metrics?.pruneRuns.inc({ repository: name, result: "failure" });
      o.log.error(
        {
          event: "prune_run",
          repository: name,
          result: "failure",
          duration_s: (Date.now() - started) / 1000,
          error: (e as Error).message,
        },
        `prune of ${name} failed: ${(e as Error).message}`,
      );
    }
  }
}
