import { describe, expect, it } from "vitest";
import { drainJobs, PARALLEL_FILES, scheduleJob } from "../../src/restore/restore-jobs.js";
import type { RestoreContext } from "../../src/restore/restore-context.js";
import { TaskPool } from "../../src/core/task-pool.js";

function context(): RestoreContext {
  return { jobs: new TaskPool(PARALLEL_FILES), opts: {} } as unknown as RestoreContext;
}

describe("scheduleJob", () => {
  it("runs at most PARALLEL_FILES jobs at once, starts the next as one ends, and drainJobs waits for all", async () => {
    const ctx = context();
    let running = 0;
    let most = 0;
    let finished = 0;
    const total = PARALLEL_FILES * 5;
    for (let i = 0; i < total; i++) {
      await scheduleJob(ctx, async () => {
        most = Math.max(most, ++running);
        // Jobs of different lengths, so slots free up out of order.
        for (let t = 0; t < (i % 7) + 1; t++) await new Promise((r) => setImmediate(r));
        running--;
        finished++;
      });
    }
    await drainJobs(ctx);
    expect(finished).toBe(total);
    expect(most).toBe(PARALLEL_FILES);
    expect(ctx.jobs.size).toBe(0);
    expect(ctx.jobs.waiting).toBe(0);
  });

  it("keeps the first failure, starts nothing after it, and drainJobs rethrows it", async () => {
    const ctx = context();
    const boom = new Error("aborted");
    await scheduleJob(ctx, async () => {
      throw boom;
    });
    await new Promise((r) => setImmediate(r));
    let started = false;
    await expect(
      scheduleJob(ctx, async () => {
        started = true;
      }),
    ).rejects.toBe(boom);
    expect(started).toBe(false);
    await expect(drainJobs(ctx)).rejects.toBe(boom);
  });
});
