#!/usr/bin/env node
// Benchmark (not a test): how much a second logical backup of a database adds
// after 1% of its rows changed. Creates a PostgreSQL database with pgbench at
// BENCH_SCALE (default 20: 2,000,000 accounts, about 300 MB on disk, a ~200 MB
// dump), backs it up with `cairn backup --source '{type: postgres, mode: logical}'`,
// then changes 1% of the rows twice, two ways, backing up after each:
//   - clustered: one contiguous 1% key range (recent orders, one customer's data);
//   - scattered: every 100th row (the worst case for any chunking: 1% of rows
//     spread evenly touches every 1 MiB chunk of the dump).
// Prints the dump size and what each backup added (before and after zstd).
//
// Needs the PostgreSQL server on PGHOST (default 127.0.0.1:5432, user postgres).
// Usage: npm run bench:db   (BENCH_SCALE, BENCH_DIR to keep the repository)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const HOST = process.env.PGHOST ?? "127.0.0.1";
const PORT = process.env.PGPORT ?? "5432";
const USER = process.env.PGUSER ?? "postgres";
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), "cairn-bench-db-"));
const db = `cairn_bench_${randomBytes(4).toString("hex")}`;
const cli = join(import.meta.dirname, "..", "bin", "cairn.js");
const pg = ["-h", HOST, "-p", PORT, "-U", USER];

const psql = (sql, database = db) =>
  execFileSync("psql", [...pg, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql], {
    encoding: "utf8",
  }).trim();
const cairn = (...args) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

function backup(label) {
  const t0 = Date.now();
  const out = cairn(
    "backup",
    "--repo",
    join(dir, "repo"),
    "--agent-key-file",
    join(dir, "agent.key"),
    "--json",
    "--source",
    `{type: postgres, mode: logical, database: ${db}, host: ${HOST}, port: ${PORT}, user: ${USER}}`,
  );
  const s = out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.type === "summary");
  const row = {
    label,
    dump: s.bytesRead,
    added: s.bytesAdded,
    stored: s.bytesStored,
    newBlobs: s.blobsNew,
    seconds: (Date.now() - t0) / 1000,
  };
  console.log(
    `${label.padEnd(28)} dump ${mib(row.dump).padStart(10)}  added ${mib(row.added).padStart(10)} (${((100 * row.added) / row.dump).toFixed(1)}% of the dump)  stored ${mib(row.stored).padStart(9)}  new chunks ${String(row.newBlobs).padStart(4)}  ${row.seconds.toFixed(1)} s`,
  );
  return row;
}

try {
  const recipient = cairn("key", "generate", "--output", join(dir, "id.txt")).trim();
  cairn("init", "--repo", join(dir, "repo"), "--recipient", recipient, "--agent-key-file", join(dir, "agent.key"));
  psql(`CREATE DATABASE ${db}`, "postgres");
  const t0 = Date.now();
  execFileSync("pgbench", [...pg, "-i", "-s", String(SCALE), "-q", db], { stdio: "ignore" });
  const rows = Number(psql("SELECT count(*) FROM pgbench_accounts"));
  console.log(
    `database ${db}: pgbench scale ${SCALE}, ${rows} accounts, ${mib(Number(psql(`SELECT pg_database_size('${db}')`)))} on disk (loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s); chunker average 1 MiB`,
  );
  backup("first backup");
  backup("unchanged, again");
  psql(
    `UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid > ${rows / 2} AND aid <= ${rows / 2 + rows / 100}`,
  );
  backup("1% of rows, clustered");
  psql("UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 100 = 50");
  backup("1% of rows, scattered");
} finally {
  try {
    psql(`DROP DATABASE IF EXISTS ${db}`, "postgres");
  } catch (e) {
    console.error(`could not drop ${db}: ${e.message}`);
  }
  if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
}
