import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The container tests (`npm run test:container`, scripts/container/test.sh): they build the
 * image and run it with podman, so they are kept out of `npm test` by their file suffix and
 * run one file at a time (they share podman's image store and build cache).
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/container/**/*.podman-test.ts"],
    testTimeout: 300_000,
    hookTimeout: 1_800_000,
    pool: "forks",
    fileParallelism: false,
  },
});
