#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `npm run build` first).
import { writeFileSync } from "node:fs";

// More libuv threads than the default 4: a backup keeps many small-file reads and stats in flight.
// Set before the CLI is loaded, since the pool starts with the first file-system call.
process.env.UV_THREADPOOL_SIZE ??= "8";
const { main } = await import("../dist/src/cli/main.js");

const code = await main(process.argv);
// Benchmarks read the peak RSS (whole process, worker threads included) from here.
if (process.env.CAIRN_RSS_FILE) writeFileSync(process.env.CAIRN_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
process.exitCode = code;
