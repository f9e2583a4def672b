#!/usr/bin/env node
// Benchmark (not a test): time `cairn forget` and `cairn prune` on a generated
// repository of BENCH_SNAPSHOTS snapshots (default 1,000) over BENCH_PACKS data
// packs (default 100,000), and report wall time and peak RSS of each command.
//
// The repository is generated directly (not by backups, which would take hours):
// real config, keys, sealed index files, sealed snapshot records and real
// skeleton blobs in meta packs (what forget and prune read), while the data packs
// are small placeholder files named by their SHA-256 (prune lists, plans and
// deletes them; it reads data packs only to repack them, which needs the identity,
// and this run is agent-key only, as on a backup host).
//
// Usage: npm run build && node scripts/bench-prune.mjs   (BENCH_DIR to keep the repository)
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Repository } from "../dist/src/repository/repository.js";
import { LocalStorage } from "../dist/src/storage/local-storage.js";
import { generateIdentity } from "../dist/src/crypto/age-keys.js";
import { sealIndex } from "../dist/src/repository/index-file.js";
import { encodeSkeleton } from "../dist/src/repository/skeleton.js";

const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 1000);
const PACKS = Number(process.env.BENCH_PACKS ?? 100_000);
const BLOBS_PER_PACK = 4;
const GROUPS = 1000; // one skeleton per group of packs; a snapshot covers a sliding window of groups
const WINDOW = 100;
const PACKS_PER_INDEX = 1000;
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), "cairn-bench-prune-"));
const repoDir = join(dir, "repo");
const cli = join(import.meta.dirname, "..", "bin", "cairn.js");

const hex = (b) => b.toString("hex");
const sha = (b) => createHash("sha256").update(b).digest("hex");

async function generate() {
  const t0 = Date.now();
  const id = generateIdentity();
  const { repo, agentKey } = await Repository.init(new LocalStorage(repoDir), { recipients: [id.recipient] });
  writeFileSync(join(dir, "agent.key"), agentKey.toFileContents(), { mode: 0o600 });
  const groupBlobs = Array.from({ length: GROUPS }, () => ({ tree: "", data: [] }));
  let rows = [];
  let indexFiles = 0;
  const flushIndex = () => {
    if (rows.length === 0) return;
    const file = sealIndex(agentKey, rows);
    mkdirSync(join(repoDir, "index"), { recursive: true });
    writeFileSync(join(repoDir, "index", sha(file)), file);
    indexFiles++;
    rows = [];
  };
  for (let p = 0; p < PACKS; p++) {
    const bytes = randomBytes(64);
    const packId = sha(bytes);
    mkdirSync(join(repoDir, "data", packId.slice(0, 2)), { recursive: true });
    writeFileSync(join(repoDir, "data", packId.slice(0, 2), packId), bytes);
    const g = groupBlobs[Math.floor((p * GROUPS) / PACKS)];
    const blobs = [];
    for (let b = 0; b < BLOBS_PER_PACK; b++) {
      const blobId = hex(randomBytes(32));
      const isTree = g.tree === "" && b === 0;
      if (isTree) g.tree = blobId;
      else g.data.push(blobId);
      blobs.push([isTree ? 1 : 0, blobId, b * 4096, 4096, 4096, 0]);
    }
    rows.push({ id: packId, kind: "data", size: 4 * 1024 * 1024, headerLength: 200, blobs });
    if (rows.length >= PACKS_PER_INDEX) flushIndex();
  }
  flushIndex();
  const groupSkeletons = [];
  await repo.withUploader(async (up) => {
    for (const g of groupBlobs) {
      const bytes = encodeSkeleton({ tree: g.tree, children: [], data: g.data });
      const sid = repo.blobId(2, bytes);
      groupSkeletons.push({ sid, tree: g.tree });
      await up.add(2, sid, bytes);
    }
  });
  const start = Date.parse("2023-01-01T00:00:00Z");
  const roots = [];
  // One upload session for every root skeleton: a session per snapshot would re-list the store at each commit.
  await repo.withUploader(async (up) => {
    for (let s = 0; s < SNAPSHOTS; s++) {
      const first = Math.floor((s * (GROUPS - WINDOW)) / Math.max(1, SNAPSHOTS - 1));
      const children = groupSkeletons.slice(first, first + WINDOW).map((g) => g.sid);
      const tree = groupSkeletons[first].tree;
      const bytes = encodeSkeleton({ tree, children, data: [] });
      const root = repo.blobId(2, bytes);
      roots.push({ root, tree });
      await up.add(2, root, bytes);
    }
  });
  for (let s = 0; s < SNAPSHOTS; s++) {
    await repo.saveSnapshot({
      version: 1,
      time: new Date(start + s * 8 * 3_600_000).toISOString(),
      host: "bench",
      paths: ["/data"],
      tags: [],
      tree: roots[s].tree,
      skeleton: roots[s].root,
      program: "bench",
    });
  }
  console.log(
    `generated ${SNAPSHOTS} snapshots, ${PACKS} data packs (${PACKS * BLOBS_PER_PACK} blobs), ${indexFiles} index files in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${repoDir}`,
  );
}

function measure(label, args) {
  const r = execFileSync(
    "bash",
    [
      "-c",
      `/usr/bin/time -f "__TIME__ %e %M" "$@" 2>&1 >/tmp/bench-prune-out.json`,
      "bash",
      process.execPath,
      cli,
      ...args,
      "--repo",
      repoDir,
      "--agent-key-file",
      join(dir, "agent.key"),
      "--json",
    ],
    { encoding: "utf8" },
  );
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(r);
  const result = JSON.parse(execFileSync("cat", ["/tmp/bench-prune-out.json"], { encoding: "utf8" }));
  console.log(`| ${label} | ${m[1]} | ${(Number(m[2]) / 1024).toFixed(0)} |`);
  return result;
}

await generate();
console.log("\n| step | wall s | peak RSS MiB |\n|---|---:|---:|");
const f = measure("forget --keep-last 300 --keep-weekly 4 (1,000 snapshots)", [
  "forget",
  "--keep-last",
  "300",
  "--keep-weekly",
  "4",
]);
const p1 = measure("prune, phase 1 (walk, plan, rewrite index, mark)", ["prune", "--grace", "0s"]);
const p2 = measure("prune, phase 2 (delete condemned packs) + phase 1 again", ["prune", "--grace", "0s"]);
console.log(`\nforget: kept ${f.kept}, removed ${f.removed}`);
console.log(
  `prune 1: marked ${p1.packsMarked} packs, ${p1.packsLeft} left; prune 2: deleted ${p2.packsDeleted} packs (${(p2.bytesFreed / 2 ** 30).toFixed(1)} GiB nominal)`,
);
if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
