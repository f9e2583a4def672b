/**
 * MySQL/MariaDB presets against the machine's MariaDB: logical
 * (mariadb-dump --single-transaction --routines --triggers --events) replayed
 * after DROP DATABASE, and physical (mariadb-backup --stream) restored with
 * --prepare and --copy-back into an empty directory that a second server
 * starts on, with transactions running during the backup.
 */
import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";
import { freePort, waitFor } from "./helpers/pg.js";
import {
  accountsState,
  ALL_TABLES,
  checksums,
  loadContent,
  sql,
  startServer,
  startWriter,
  stopWriter,
  SYSTEM_MARIADB,
} from "./helpers/mysql.js";

describe("mysql logical and physical", () => {
  let ws: Workspace & { recipient: string };
  const db = `cairn_shop_${randomBytes(4).toString("hex")}`;
  const conn = "host: 127.0.0.1, port: 3306, user: root";
  let before: Record<string, string>;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    ws = await initWorkspace("db-mysql");
    await loadContent(SYSTEM_MARIADB, db);
    before = await checksums(SYSTEM_MARIADB, db);
  }, 60_000);
  afterAll(async () => {
    server?.kill("SIGKILL");
    await sql(SYSTEM_MARIADB, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await ws?.cleanup();
  });

  it("logical: restores tables, routines, triggers, events and the view after DROP DATABASE", async () => {
    const source = `{type: mysql, mode: logical, database: ${db}, ${conn}}`;
    const all = await checksums(SYSTEM_MARIADB, db, ALL_TABLES);
    const b = await runCli(["backup", ...repoFlags(ws), "--source", source]);
    expect(b.code, b.stderr).toBe(0);
    await sql(SYSTEM_MARIADB, `DROP DATABASE ${db}`);
    await sql(SYSTEM_MARIADB, `CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
    const r = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--source", source]);
    expect(r.code, r.stderr).toBe(0);
    expect(await checksums(SYSTEM_MARIADB, db, ALL_TABLES)).toEqual(all);
    expect(all.blobs).toMatch(/^1:/);
  }, 60_000);

  it("logical: a dump of a missing database exits 1 with mariadb-dump's message and records no snapshot", async () => {
    const n = (await listObjects(ws.repo, "snapshots")).length;
    const r = await runCli([
      "backup",
      ...repoFlags(ws),
      "--source",
      `{type: mysql, mode: logical, database: ${db}_missing, ${conn}}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Unknown database '${db}_missing'`);
    expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
  });

  it("physical: mariadb-backup under writes, prepared and copied back, starts as a second server", async () => {
    const source = `{type: mysql, mode: physical, ${conn}}`;
    const writer = startWriter(SYSTEM_MARIADB, db);
    try {
      await waitFor(async () => (await accountsState(SYSTEM_MARIADB, db)).transfers > 50, "transfers to commit");
      const b = await runCli(["backup", ...repoFlags(ws), "--source", source], { timeoutMs: 90_000 });
      expect(b.code, b.stderr).toBe(0);
    } finally {
      await stopWriter(SYSTEM_MARIADB, db, writer);
    }
    const target = join(ws.dir, "mariadb-restored");
    const r = await runCli(
      ["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--source", source, "--target", target],
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const copy = { host: "127.0.0.1", port: await freePort() };
    server = startServer(target, copy.port);
    await waitFor(
      async () => (await sql(copy, "SELECT 1")) === "1",
      "the restored server to accept connections",
      60_000,
    );
    expect(await checksums(copy, db)).toEqual(before);
    const state = await accountsState(copy, db);
    expect(state.total).toBe(100 * 1000);
    expect(state.transfers).toBeGreaterThan(50);
  }, 120_000);
});
