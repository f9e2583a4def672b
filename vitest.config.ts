import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one file at a time on a 2-core machine (cores - 1). Most e2e
    // files wait on child processes, emulators and databases, so two at once about
    // halves the suite's wall time (docs/PERFORMANCE.md §The test suite).
    maxWorkers: 2,
  },
});
