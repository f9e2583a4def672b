/**
 * PostgreSQL logical preset against the machine's server: back a database
 * with real content up with pg_dump, drop it, restore it with psql, compare
 * every table. A dump of a database that does not exist records nothing.
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";
import { checksums, loadContent, pgFlags, psql, SYSTEM_PG, waitFor } from "./helpers/pg.js";

/** The pg_dump process dumping `db` (its name is unique to this test run). */
function pgDumpPid(db: string): number {
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    const argv = (() => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      } catch {
        return [];
      }
    })();
    if (argv[0]?.endsWith("pg_dump") && argv.includes(db)) return Number(p);
  }
  throw new Error(`no pg_dump process for ${db}`);
}

describe("postgres logical (pg_dump / psql)", () => {
  let ws: Workspace & { recipient: string };
  const db = `cairn_logical_${randomBytes(4).toString("hex")}`;
  const secret = `pw-${randomBytes(6).toString("hex")}`;
  const source = `{type: postgres, mode: logical, database: ${db}, host: 127.0.0.1, port: 5432, user: postgres, password: ${secret}}`;
  let before: Record<string, string>;

  beforeAll(async () => {
    ws = await initWorkspace("db-pg-logical");
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${db}`);
    await loadContent(SYSTEM_PG, db);
    before = await checksums(SYSTEM_PG, db);
  }, 60_000);
  afterAll(async () => {
    await psql(SYSTEM_PG, "postgres", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await ws?.cleanup();
  });

  it("backs up, survives DROP DATABASE, and restores every table, view, function and index", async () => {
    const b = await runCli(["backup", ...repoFlags(ws), "--json", "--source", source]);
    expect(b.code, b.stderr).toBe(0);
    const snaps = await runCli(["snapshots", ...repoFlags(ws), "--json"]);
    expect(b.stdout + b.stderr + snaps.stdout).not.toContain(secret); // the password went by PGPASSWORD only
    await psql(SYSTEM_PG, "postgres", `DROP DATABASE ${db}`);
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${db}`);
    const r = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--source", source]);
    expect(r.code, r.stderr).toBe(0);
    expect(await checksums(SYSTEM_PG, db)).toEqual(before);
    expect(before["shop.blobs"]).toMatch(/^1:/);
  }, 60_000);

  it("cairn restore --config F JOB replays the job's latest snapshot into the database", async () => {
    const config = join(ws.dir, "cairn.yaml");
    await writeFile(
      config,
      `repositories:\n  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey} }\njobs:\n  orders-db:\n    source: ${source}\n    repositories: [main]\n`,
    );
    await psql(SYSTEM_PG, "postgres", `DROP DATABASE ${db}`);
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${db}`);
    const r = await runCli(["restore", "--config", config, "orders-db", "--identity", ws.identity]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replayed into database ${db}`);
    expect(await checksums(SYSTEM_PG, db)).toEqual(before);
  }, 60_000);

  it("pg_dump killed while it runs records no snapshot and exits 1 naming the signal", async () => {
    const n = (await listObjects(ws.repo, "snapshots")).length;
    // A transaction holding a lock pg_dump needs keeps it running until it is killed.
    const locker = spawn("psql", [...pgFlags(SYSTEM_PG), "-X", "-q", "-d", db], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    locker.stdin.write("BEGIN; LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE;\n");
    try {
      await waitFor(
        async () =>
          (await psql(
            SYSTEM_PG,
            db,
            "SELECT count(*) FROM pg_locks WHERE relation = 'shop.orders'::regclass AND mode = 'AccessExclusiveLock' AND granted",
          )) === "1",
        "the lock",
      );
      const backup = runCli([
        "backup",
        ...repoFlags(ws),
        "--dump",
        `pg_dump --format=plain -h 127.0.0.1 -U postgres ${db}`,
        "--dump-name",
        "killed.sql",
      ]);
      await waitFor(
        async () =>
          (await psql(
            SYSTEM_PG,
            "postgres",
            `SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}' AND application_name = 'pg_dump' AND wait_event_type = 'Lock'`,
          )) === "1",
        "pg_dump to wait on the lock",
      );
      process.kill(pgDumpPid(db), "SIGKILL");
      const r = await backup;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("pg_dump: was killed by SIGKILL");
      expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
    } finally {
      locker.stdin.end("ROLLBACK;\n");
    }
  }, 30_000);

  it("a dump of a missing database exits 1 with pg_dump's message and records no snapshot", async () => {
    const n = (await listObjects(ws.repo, "snapshots")).length;
    const r = await runCli([
      "backup",
      ...repoFlags(ws),
      "--dump",
      `pg_dump --format=plain -h 127.0.0.1 -U postgres ${db}_missing`,
      "--dump-name",
      "missing.sql",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`database "${db}_missing" does not exist`);
    expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
  });
});
