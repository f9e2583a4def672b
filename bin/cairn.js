#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `npm run build` first).
import { existsSync, writeFileSync } from "node:fs";

// libuv keeps its default 4 threads: more only added futex contention (docs/PERFORMANCE.md §Where the time goes).
// The bundle (scripts/bundle.mjs) starts faster than the ~270 modules of dist/src; both are built by `npm run build`.
const bundled = new URL("../dist/bundle/cli/main.js", import.meta.url);
const { main } = await import(existsSync(bundled) ? bundled.href : "../dist/src/cli/main.js");

const code = await main(process.argv);
// Benchmarks read the peak RSS (whole process, worker threads included) from here.
if (process.env.CAIRN_RSS_FILE)
  writeFileSync(process.env.CAIRN_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
process.exitCode = code;
