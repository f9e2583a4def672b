/**
 * PostgreSQL physical (pg_backup_start/stop + data files + WAL) and snapshot
 * (pg_basebackup tar with WAL) presets. The source is a cluster of this test's
 * own (initdb as the postgres user: the server refuses root), so the copy
 * holds nothing but its content and pg_basebackup's replication access is
 * initdb's default. pgbench writes during each backup; each restored
 * directory is started as a second server and must hold the same static
 * tables and a transaction-consistent pgbench state.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";
import {
  checksums,
  loadContent,
  PgCluster,
  pgbenchSums,
  postgresScratch,
  psql,
  startWriter,
  waitFor,
} from "./helpers/pg.js";

const DB = "shopdb";

describe("postgres physical and snapshot", () => {
  let ws: Workspace & { recipient: string };
  let base: string;
  let src: PgCluster;
  let staticBefore: Record<string, string>;
  const started: PgCluster[] = [];

  beforeAll(async () => {
    ws = await initWorkspace("db-pg-physical");
    base = await postgresScratch(ws.dir);
    src = await PgCluster.create(base, "source");
    await src.start();
    started.push(src);
    await psql(src.target, "postgres", `CREATE DATABASE ${DB}`);
    await loadContent(src.target, DB);
    staticBefore = await checksums(src.target, DB, ["shop"]);
  }, 90_000);
  afterAll(async () => {
    for (const c of started) await c.stop();
    await ws?.cleanup();
  });

  /** Back up with pgbench writing, restore into `name`, start a server there and compare. */
  async function roundTrip(mode: "physical" | "snapshot", name: string): Promise<void> {
    const conn = `host: 127.0.0.1, port: ${src.target.port}, user: postgres`;
    const source =
      mode === "physical"
        ? `{type: postgres, mode: physical, data_dir: ${src.dataDir}, ${conn}}`
        : `{type: postgres, mode: snapshot, ${conn}}`;
    const historyBefore = (await pgbenchSums(src.target, DB)).historyRows;
    const writer: ChildProcess = startWriter(src.target, DB);
    try {
      await waitFor(
        async () => (await pgbenchSums(src.target, DB)).historyRows > historyBefore + 20,
        "pgbench to commit transactions",
      );
      const b = await runCli(["backup", ...repoFlags(ws), "--source", source], { timeoutMs: 60_000 });
      expect(b.code, b.stderr).toBe(0);
    } finally {
      writer.kill("SIGKILL");
    }
    const target = join(base, name);
    const r = await runCli(
      ["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--source", source, "--target", target],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const copy = await PgCluster.adopt(target);
    await copy.start();
    started.push(copy);
    expect(await checksums(copy.target, DB, ["shop"])).toEqual(staticBefore);
    const sums = await pgbenchSums(copy.target, DB);
    expect(sums.historyRows).toBeGreaterThan(historyBefore + 20); // writes made before the backup are in it
    expect([sums.tellers, sums.branches, sums.history]).toEqual([sums.accounts, sums.accounts, sums.accounts]);
    await copy.stop();
  }

  it("physical: data files between pg_backup_start and pg_backup_stop, backup_label and WAL, start as a second server", async () => {
    await roundTrip("physical", "restored-physical");
  }, 120_000);

  it("physical: a data_dir of another cluster than the server's is refused, recording nothing", async () => {
    const other = join(ws.dir, "other-cluster");
    await mkdir(join(other, "global"), { recursive: true });
    await writeFile(join(other, "global", "pg_control"), Buffer.alloc(8192, 7));
    const n = (await listObjects(ws.repo, "snapshots")).length;
    const r = await runCli([
      "backup",
      ...repoFlags(ws),
      "--source",
      `{type: postgres, mode: physical, data_dir: ${other}, host: 127.0.0.1, port: ${src.target.port}, user: postgres}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("belongs to another cluster");
    expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
  });

  it("snapshot: pg_basebackup's tar with WAL unpacks into a data directory that starts", async () => {
    await roundTrip("snapshot", "restored-snapshot");
  }, 120_000);
});
