import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeRandomFile } from "./helpers/random-tree.js";
import { backup, makeRepo, makeLayout, useWorkDir } from "./helpers/repo.js";

/**
 * S24 memory bound, structurally: backing up a 512 MiB incompressible file
 * must not hold it in memory. Chunks are at most 8 MiB and packs 16 MiB with
 * a few in flight, so resident memory should grow by well under 300 MiB;
 * reading the file whole would grow it by 512 MiB or more.
 *
 * RSS is sampled every 10 ms while the backup runs (timers fire between its
 * awaits) and also from onProgress. This file holds only this test, so no
 * other test's garbage is in the measurement.
 */
const work = useWorkDir("mem");
const MiB = 1024 * 1024;
const LIMIT = 300 * MiB;

describe("memory bound", () => {
  it("backing up a 512 MiB file grows RSS by less than 300 MiB", { timeout: 120_000 }, async () => {
    const { src, work: w } = makeLayout(work());
    mkdirSync(src);
    writeRandomFile(join(src, "random.bin"), 512 * MiB, "memory");
    const r = await makeRepo(w);
    // Warm up (module loading, worker probe, first pack buffers) on a small backup first.
    mkdirSync(join(w, "s", "warm"));
    writeRandomFile(join(w, "s", "warm", "f"), 4 * MiB, "warm");
    await backup(r, [join(w, "s", "warm")]);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 10);
    let samples = 0;
    try {
      const b = await backup(r, [src], { onProgress: () => (samples++, sample()) });
      expect(b.summary.bytesRead).toBe(512 * MiB);
    } finally {
      clearInterval(timer);
      sample();
    }
    const growth = peak - baseline;
    console.log(`[backup-memory] RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, growth ${(growth / MiB).toFixed(0)} MiB (limit ${LIMIT / MiB} MiB; ${samples} progress samples)`);
    expect(growth).toBeLessThan(LIMIT);
  });
});
