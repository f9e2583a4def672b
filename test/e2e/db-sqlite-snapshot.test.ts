/**
 * SQLite preset (online `.backup` or `VACUUM INTO` to a temporary copy) and
 * the generic snapshot source (prepare, back up the paths, cleanup that
 * always runs, restore command after the files are back), through the CLI.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";

const run = promisify(execFile);
const sqlite = async (db: string, sql: string) =>
  (await run("sqlite3", ["-bail", db, sql], { maxBuffer: 64 * 1024 * 1024 })).stdout;

const CONTENT = `
PRAGMA journal_mode=WAL;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, city TEXT);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000) INSERT INTO customers (name, city) SELECT 'Zoë Ångström-' || n || ' 東京 🚀', CASE n % 3 WHEN 0 THEN 'Köln' ELSE 'Łódź' END FROM s;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), amount REAL);
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) INSERT INTO orders (customer_id, amount) SELECT 1 + n % 2000, (n * 7 % 10000) / 100.0 FROM s;
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE VIEW customer_totals AS SELECT c.id, c.name, sum(o.amount) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id;
CREATE TRIGGER orders_positive BEFORE INSERT ON orders WHEN NEW.amount < 0 BEGIN SELECT RAISE(ABORT, 'negative'); END;
CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
INSERT INTO blobs VALUES (1, randomblob(2097152));
`;

describe("sqlite and the generic snapshot source", () => {
  let ws: Workspace & { recipient: string };
  let db: string;
  let dumpBefore: string;
  const restore = (source: string, target: string) =>
    runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--source", source, "--target", target]);

  beforeAll(async () => {
    ws = await initWorkspace("db-sqlite");
    db = join(ws.dir, "app.db");
    await sqlite(db, CONTENT);
    dumpBefore = await sqlite(db, ".dump");
  });
  afterAll(() => ws?.cleanup());

  for (const method of ["backup", "vacuum"] as const) {
    it(`sqlite (${method}): the copy restores with the same schema and rows`, async () => {
      const source = `{type: sqlite, path: ${db}, method: ${method}}`;
      const b = await runCli(["backup", ...repoFlags(ws), "--source", source]);
      expect(b.code, b.stderr).toBe(0);
      const target = join(ws.dir, `restored-${method}`);
      const r = await restore(source, target);
      expect(r.code, r.stderr).toBe(0);
      const copy = join(target, "app.db");
      expect((await sqlite(copy, "PRAGMA integrity_check")).trim()).toBe("ok");
      expect(await sqlite(copy, ".dump")).toBe(dumpBefore);
    });
  }

  it("sqlite: a missing database file fails without creating one or recording a snapshot", async () => {
    const n = (await listObjects(ws.repo, "snapshots")).length;
    const missing = join(ws.dir, "missing.db");
    const r = await runCli(["backup", ...repoFlags(ws), "--source", `{type: sqlite, path: ${missing}}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read the database file");
    expect(existsSync(missing)).toBe(false);
    expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
  });

  describe("snapshot source", () => {
    let snap: string;
    let cleaned: string;
    const source = (prepare: string, paths: string) =>
      `{type: snapshot, prepare: ${JSON.stringify(prepare)}, paths: [${paths}], cleanup: ${JSON.stringify(`rm -rf ${snap}/* && touch ${cleaned}`)}, restore: "touch \\"$CAIRN_RESTORE_DIR/restore-hook-ran\\""}`;

    beforeAll(async () => {
      snap = join(ws.dir, "snap");
      cleaned = join(ws.dir, "cleaned");
      await mkdir(snap);
      await writeFile(join(ws.dir, "export.bin"), "consistent copy ✓");
    });

    it("prepares, backs up the paths, cleans up, and restores the files then runs the restore command", async () => {
      const src = source(`cp ${join(ws.dir, "export.bin")} ${snap}/ && echo prepared-copy >&2`, snap);
      const b = await runCli(["backup", ...repoFlags(ws), "--source", src]);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stderr).toContain("prepared-copy");
      expect(existsSync(cleaned)).toBe(true);
      expect(await readdir(snap)).toEqual([]);
      const target = join(ws.dir, "restored-snap");
      const r = await restore(src, target);
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(join(target, snap, "export.bin"), "utf8")).toBe("consistent copy ✓");
      expect(existsSync(join(target, "restore-hook-ran"))).toBe(true);
    });

    it("cairn restore --config F JOB finds the job's latest snapshot by its paths and runs its restore command", async () => {
      const src = source("true", snap);
      const config = join(ws.dir, "cairn.yaml");
      await writeFile(
        config,
        `repositories:\n  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey}, identity_file: ${ws.identity} }\njobs:\n  ledger:\n    source: ${src}\n    repositories: [main]\n`,
      );
      // Another source's snapshot is the newest in the repository: the job's own must still be picked.
      expect(
        (await runCli(["backup", ...repoFlags(ws), "--dump", "echo other", "--dump-name", "other.txt"])).code,
      ).toBe(0);
      const target = join(ws.dir, "restored-by-config");
      const r = await runCli(["restore", "--config", config, "ledger", "--target", target]);
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(join(target, snap, "export.bin"), "utf8")).toBe("consistent copy ✓");
      expect(existsSync(join(target, "restore-hook-ran"))).toBe(true);
    });

    it("a failing prepare fails the run, records nothing, and cleanup still runs", async () => {
      const n = (await listObjects(ws.repo, "snapshots")).length;
      await run("rm", ["-f", cleaned]);
      const r = await runCli(["backup", ...repoFlags(ws), "--source", source("echo cannot-freeze >&2; exit 5", snap)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("cannot-freeze");
      expect(r.stderr).toContain("exited with code 5");
      expect(existsSync(cleaned)).toBe(true);
      expect((await listObjects(ws.repo, "snapshots")).length).toBe(n);
    });

    it("cleanup runs when the backup itself fails", async () => {
      await run("rm", ["-f", cleaned]);
      const r = await runCli(["backup", ...repoFlags(ws), "--source", source("true", join(ws.dir, "not-there"))]);
      expect(r.code).not.toBe(0);
      expect(existsSync(cleaned)).toBe(true);
    });
  });
});
