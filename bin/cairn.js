#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `npm run build` first).
import { writeFileSync } from "node:fs";

// (libuv keeps its default 4 threads: more only added futex contention in measurements.)
const { main } = await import("../dist/src/cli/main.js");

const code = await main(process.argv);
// Benchmarks read the peak RSS (whole process, worker threads included) from here.
if (process.env.CAIRN_RSS_FILE) writeFileSync(process.env.CAIRN_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
process.exitCode = code;
