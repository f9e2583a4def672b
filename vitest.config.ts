import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one file at a time on a 2-core machine (cores - 1). Most e2e
    // files wait on child processes, emulators and databases, so two at once halves
    // the suite's wall time here (1090 s -> 402 s in two runs on the same loaded machine).
    maxWorkers: 2,
  },
});
