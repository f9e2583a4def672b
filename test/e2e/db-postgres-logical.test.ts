/**
 * PostgreSQL logical preset against the machine's server: back a database
 * with real content up with pg_dump, drop it, restore it with psql, compare
 * every table. A dump of a database that does not exist records nothing.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";
import { checksums, loadContent, psql, SYSTEM_PG } from "./helpers/pg.js";

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
    await writeFile(config, `repositories:\n  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey} }\njobs:\n  orders-db:\n    source: ${source}\n    repositories: [main]\n`);
    await psql(SYSTEM_PG, "postgres", `DROP DATABASE ${db}`);
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${db}`);
    const r = await runCli(["restore", "--config", config, "orders-db", "--identity", ws.identity]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replayed into database ${db}`);
    expect(await checksums(SYSTEM_PG, db)).toEqual(before);
  }, 60_000);

  it("a dump of a missing database exits 1 with pg_dump's message and records no snapshot", async () => {
    const n = (await listObjects(ws.repo, "snapshots")).length;
    const r = await runCli(["backup", ...repoFlags(ws), "--dump", `pg_dump --format=plain -h 127.0.0.1 -U postgres ${db}_missing`, "--dump-name", "missing.sql"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`database "${db}_missing" does not exist`);
    expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
  });
});
