#!/usr/bin/env node
// `npm run bench`: initial backup MB/s, no-change backup seconds, restore MB/s,
// repository size and peak RSS on a generated dataset. Prints numbers; asserts nothing.
//   BENCH_SCALE=0.1 (default 0.25; 1 = ~1 GiB)   BENCH_DIR=/tmp/cairn-bench   BENCH_BIG_GIB=0 (size of an extra single sparse-free big file)
//   BENCH_S3=0 skips the s3rver comparison (scripts/bench-s3.mjs)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, readdirSync, createWriteStream } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createCipheriv } from "node:crypto";
import { benchS3 } from "./bench-s3.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "cairn.js");
const dir = process.env.BENCH_DIR ?? "/tmp/cairn-bench";
const scale = process.env.BENCH_SCALE ?? "0.25";
const gen = join(root, "..", "shared", "bench", "gen-dataset.mjs");
const data = join(dir, "data");

function du(p) {
  let n = 0;
  for (const e of readdirSync(p, { withFileTypes: true }))
    n += e.isDirectory() ? du(join(p, e.name)) : statSync(join(p, e.name)).size;
  return n;
}

function run(label, args, env) {
  const rssFile = join(dir, "rss");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env, CAIRN_RSS_FILE: rssFile },
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  return { secs, rss: Number(readFileSync(rssFile, "utf8")), out: r.stdout };
}

async function bigFile(path, gib) {
  // Half AES-CTR keystream (incompressible), half repetitive text, streamed.
  const out = createWriteStream(path);
  const ctr = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16));
  const zero = Buffer.alloc(1 << 20);
  const text = Buffer.from(
    "2026-11-24T06:00:00Z INFO request served path=/api/v1/items status=200 ms=12\n".repeat(13000),
  ).subarray(0, 1 << 20);
  for (let i = 0; i < gib * 1024; i++) {
    const chunk = i % 2 ? text : ctr.update(zero);
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r) => out.end(r));
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
if (existsSync(gen)) execFileSync(process.execPath, [gen, "generate", data, "--scale", scale], { stdio: "ignore" });
else throw new Error(`dataset generator not found at ${gen}`);
const big = Number(process.env.BENCH_BIG_GIB ?? 0);
if (big > 0) await bigFile(join(data, "big.bin"), big);
const bytes = du(data);
const env = {
  CAIRN_REPO: join(dir, "repo"),
  CAIRN_AGENT_KEY_FILE: join(dir, "agent.key"),
  CAIRN_IDENTITY_FILE: join(dir, "id.txt"),
  CAIRN_CACHE_DIR: join(dir, "cache"),
};
const recipient = run("key", ["key", "generate", "--output", env.CAIRN_IDENTITY_FILE], env).out.trim();
run("init", ["init", "--recipient", recipient], env);
const full = run("backup", ["backup", data], env);
const again = run("backup-nochange", ["backup", data], env);
const restore = run("restore", ["restore", "latest", "--target", join(dir, "restore")], env);
const repoBytes = du(env.CAIRN_REPO);
const mb = (n) => (n / 1e6).toFixed(1);
console.log(`dataset: ${mb(bytes)} MB (${data}, scale ${scale}${big ? `, + ${big} GiB single file` : ""})`);
console.log(`| step | seconds | MB/s | peak RSS MiB |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(
  `| initial backup | ${full.secs.toFixed(2)} | ${mb(bytes / full.secs)} | ${(full.rss / 2 ** 20).toFixed(0)} |`,
);
console.log(
  `| no-change backup | ${again.secs.toFixed(2)} | ${mb(bytes / again.secs)} | ${(again.rss / 2 ** 20).toFixed(0)} |`,
);
console.log(
  `| restore | ${restore.secs.toFixed(2)} | ${mb(bytes / restore.secs)} | ${(restore.rss / 2 ** 20).toFixed(0)} |`,
);
console.log(`repository: ${mb(repoBytes)} MB = ${(repoBytes / bytes).toFixed(3)} x dataset`);
if (process.env.BENCH_S3 !== "0") await benchS3({ root, dir, data, bytes, run, recipient, local: { full, restore } });
