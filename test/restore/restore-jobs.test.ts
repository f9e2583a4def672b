import { describe, expect, it } from "vitest";
import { PARALLEL_FILES, RestoreJobs } from "../../src/restore/restore-jobs.js";

describe("RestoreJobs.schedule", () => {
  it("runs at most PARALLEL_FILES jobs at once, starts the next as one ends, and drain waits for all", async () => {
    const jobs = new RestoreJobs();
    let running = 0;
    let most = 0;
    let finished = 0;
    const total = PARALLEL_FILES * 5;
    for (let i = 0; i < total; i++) {
      await jobs.schedule(async () => {
        most = Math.max(most, ++running);
        // Jobs of different lengths, so slots free up out of order.
        for (let t = 0; t < (i % 7) + 1; t++) await new Promise((r) => setImmediate(r));
        running--;
        finished++;
      });
    }
    await jobs.drain();
    expect(finished).toBe(total);
    expect(most).toBe(PARALLEL_FILES);
    expect(jobs.size).toBe(0);
    expect(jobs.waiting).toBe(0);
  });

  it("keeps the first failure, starts nothing after it, and drain rethrows it", async () => {
    const jobs = new RestoreJobs();
    const boom = new Error("aborted");
    await jobs.schedule(async () => {
      throw boom;
    });
    await new Promise((r) => setImmediate(r));
    let started = false;
    await expect(
      jobs.schedule(async () => {
        started = true;
      }),
    ).rejects.toBe(boom);
    expect(started).toBe(false);
    await expect(jobs.drain()).rejects.toBe(boom);
  });
});
