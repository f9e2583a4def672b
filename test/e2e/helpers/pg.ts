/**
 * PostgreSQL fixtures for the database tests: real content (pgbench tables, a
 * schema with foreign keys, indexes, a view, a function, non-ASCII text and a
 * 2 MiB bytea), per-table checksums to compare a restore with its source, and
 * throwaway clusters run as the unprivileged `postgres` user (the server
 * refuses root) on free ports.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, chown, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PgTarget {
  host: string;
  port: number;
}

export const SYSTEM_PG: PgTarget = { host: "127.0.0.1", port: 5432 };

export function pgFlags(t: PgTarget): string[] {
  return ["-h", t.host, "-p", String(t.port), "-U", "postgres"];
}

export async function psql(t: PgTarget, db: string, sql: string): Promise<string> {
  const r = await run("psql", [...pgFlags(t), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return r.stdout.trim();
}

export const CONTENT_SQL = `
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, city text);
INSERT INTO shop.customers (name, city) SELECT 'Zoë Ångström-' || g || ' 東京 🚀', CASE WHEN g % 3 = 0 THEN 'Köln' ELSE 'Łódź' END FROM generate_series(1, 2000) g;
CREATE UNIQUE INDEX customers_name_idx ON shop.customers (name);
CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers (id), amount numeric(10, 2), note text);
INSERT INTO shop.orders (customer_id, amount, note) SELECT 1 + g % 2000, (g * 7 % 10000) / 100.0, repeat('ü€', g % 40) FROM generate_series(1, 20000) g;
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
CREATE VIEW shop.customer_totals AS SELECT c.id, c.name, sum(o.amount) AS total FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
CREATE FUNCTION shop.total_for(cid int) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM shop.orders WHERE customer_id = cid $$;
CREATE TABLE shop.blobs (id int PRIMARY KEY, data bytea NOT NULL);
INSERT INTO shop.blobs SELECT 1, decode(string_agg(md5(random()::text || g), ''), 'hex') FROM generate_series(1, 131072) g;
`;

/** pgbench tables at scale 1 plus the shop schema. */
export async function loadContent(t: PgTarget, db: string): Promise<void> {
  await run("pgbench", [...pgFlags(t), "-i", "-s", "1", "-q", "--no-vacuum", db]);
  await psql(t, db, CONTENT_SQL);
}

/**
 * One line per table: row count and an order-independent digest of every row,
 * plus the view's rows, a function call and the index names. Equal maps mean
 * equal content.
 */
export async function checksums(
  t: PgTarget,
  db: string,
  schemas = ["public", "shop"],
): Promise<Record<string, string>> {
  const list = schemas.map((s) => `'${s}'`).join(",");
  const tables = (
    await psql(
      t,
      db,
      `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname IN (${list}) ORDER BY 1`,
    )
  )
    .split("\n")
    .filter(Boolean);
  const parts = tables.map(
    (tb) =>
      `SELECT '${tb}', count(*) || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') FROM ${tb} t`,
  );
  if (schemas.includes("shop")) {
    parts.push(`SELECT 'view', md5(string_agg(v::text, ',' ORDER BY v.id)) FROM shop.customer_totals v`);
    parts.push(`SELECT 'function', shop.total_for(7)::text`);
  }
  parts.push(
    `SELECT 'indexes', string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname IN (${list})`,
  );
  const out = await psql(t, db, parts.join(" UNION ALL "));
  return Object.fromEntries(out.split("\n").map((l) => l.split("|") as [string, string]));
}

/** pgbench's transactions move money between accounts, tellers and branches and log it in history: in a consistent copy the four sums agree. */
export async function pgbenchSums(
  t: PgTarget,
  db: string,
): Promise<{ accounts: string; tellers: string; branches: string; history: string; historyRows: number }> {
  const [accounts, tellers, branches, history, rows] = (
    await psql(
      t,
      db,
      "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history), (SELECT count(*) FROM pgbench_history)",
    )
  ).split("|");
  return { accounts, tellers, branches, history, historyRows: Number(rows) };
}

/** pgbench writing (TPC-B-like transactions) until killed. */
export function startWriter(t: PgTarget, db: string): ChildProcess {
  return spawn("pgbench", [...pgFlags(t), "-n", "-c", "2", "-T", "300", db], { stdio: "ignore" });
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asPostgres = (argv: string[]) => run("runuser", ["-u", "postgres", "--", ...argv]);

/** initdb and pg_ctl: on PATH here (/usr/local/bin), else in Debian's versioned directory. */
function serverBin(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(join(dir, name))) return join(dir, name);
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => `/usr/lib/postgresql/${v}/bin/${name}`).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} not found on PATH or in /usr/lib/postgresql/*/bin (Debian package postgresql)`);
  return found;
}

/** A cluster owned by the postgres user under `base` (a directory it can enter). */
export class PgCluster {
  readonly target: PgTarget;
  constructor(
    readonly dataDir: string,
    port: number,
  ) {
    this.target = { host: "127.0.0.1", port };
  }

  static async create(base: string, name: string): Promise<PgCluster> {
    const c = new PgCluster(join(base, name), await freePort());
    await asPostgres([
      serverBin("initdb"),
      "-D",
      c.dataDir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
      "--no-locale",
    ]);
    return c;
  }

  /** Hand a restored data directory to postgres and make it a cluster to start. */
  static async adopt(dataDir: string): Promise<PgCluster> {
    await run("chown", ["-R", "postgres:postgres", dataDir]);
    await chmod(dataDir, 0o700);
    return new PgCluster(dataDir, await freePort());
  }

  async start(): Promise<void> {
    const opts = `-p ${this.target.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dataDir} -c fsync=off`;
    await asPostgres([
      serverBin("pg_ctl"),
      "-D",
      this.dataDir,
      "-o",
      opts,
      "-l",
      `${this.dataDir}/server.log`,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  }

  async stop(): Promise<void> {
    await asPostgres([serverBin("pg_ctl"), "-D", this.dataDir, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
  }
}

/** A scratch directory the postgres user can own things in. */
export async function postgresScratch(dir: string): Promise<string> {
  await chmod(dir, 0o755);
  const base = join(dir, "pg");
  await mkdir(base);
  await chown(
    base,
    Number((await run("id", ["-u", "postgres"])).stdout),
    Number((await run("id", ["-g", "postgres"])).stdout),
  );
  return base;
}
