#!/usr/bin/env node
// Bundles the compiled CLI (dist/src, from tsc) into dist/bundle for bin/cairn.js.
// Why: Node resolves, reads and links ~270 ES modules (ours and zod's) on every
// command, a noticeable part of a short command; one bundle loads in a fraction
// of that (docs/PERFORMANCE.md §Startup and per-command overheads). The worker threads get their
// own entry points at the same depth as in dist/src, so workerEntry() finds
// them next to the bundle. Library users keep importing dist/src unbundled.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    "dist/src/cli/main.js",
    // Keep in step with the workerEntry() callers.
    "dist/src/pipeline/codec-worker.js",
    "dist/src/pipeline/read-ahead-worker.js",
    "dist/src/restore/writer/file-writer-worker.js",
    "dist/src/maintenance/pack-verify-worker.js",
    "dist/src/repository/pack-decrypt-worker.js",
  ],
  outbase: "dist/src",
  outdir,
  entryNames: "[dir]/[name]",
  // One directory deep, like the entries: code that resolves a worker relative to itself works from either.
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // The native zstd addon is loaded from node_modules as it is.
  external: ["zstd-napi", "zstd-napi/*"],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cairnRequire } from 'node:module'; const require = __cairnRequire(import.meta.url);",
  },
  logLevel: "warning",
});
