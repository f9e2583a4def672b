import { describe, expect, it } from "vitest";
import { LARGE_FILES, LargeFileSlots } from "../../../src/restore/writer/large-file-slots.js";

describe("LargeFileSlots.run", () => {
  it("runs at most LARGE_FILES at once, starts waiters as slots free, and frees a slot when its run throws", async () => {
    const slots = new LargeFileSlots();
    let running = 0;
    let most = 0;
    const total = LARGE_FILES * 4;
    const runs: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      runs.push(
        slots.run(async () => {
          most = Math.max(most, ++running);
          // Runs of different lengths, so slots free up out of order.
          for (let t = 0; t < (i % 5) + 1; t++) await new Promise((r) => setImmediate(r));
          running--;
          if (i % 3 === 0) throw new Error(`run ${i}`);
          return i;
        }),
      );
    }
    const results = await Promise.allSettled(runs);
    expect(most).toBe(LARGE_FILES);
    results.forEach((r, i) =>
      i % 3 === 0
        ? expect(r).toEqual({ status: "rejected", reason: new Error(`run ${i}`) })
        : expect(r).toEqual({ status: "fulfilled", value: i }),
    );
  });
});
