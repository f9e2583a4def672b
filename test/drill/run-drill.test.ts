/**
 * Logical database drills against the machine's PostgreSQL and MariaDB (in
 * process, through the agent's job runner): the newest dump of the job is
 * replayed into a new scratch database (never the live one), the user's
 * query is checked against `expect`, and the scratch database is dropped
 * whether the drill passed or failed.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runJob, type RunContext } from "../../src/agent/job-runner.js";
import { createLogger } from "../../src/agent/logger.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import type { AgentConfig } from "../../src/config/agent-config.js";
import { parseConfig } from "../../src/config/load-config.js";
import { flipBit, objectsOfKind } from "../e2e/helpers/damage-repo.js";
import { psql, SYSTEM_PG } from "../e2e/helpers/pg.js";
import { sql, SYSTEM_MARIADB } from "../e2e/helpers/mysql.js";
import { makeRepo, useWorkDir } from "../pipeline/helpers/repo.js";

const work = useWorkDir("drill-db");
const tag = randomBytes(4).toString("hex");
const live = `cairn_drill_live_${tag}`;
/** Scratch databases are named cairn_drill_<drill job>_<random>: these prefixes find any a drill left behind. */
const pgScratch = `cairn_drill_pg_${tag}_`;
const myScratch = `cairn_drill_my_${tag}_`;
/** sum(id * 1.5) for id 1..1234 */
const SUM = "1142992.50";

const leftovers = async () => ({
  pg: await psql(SYSTEM_PG, "postgres", `SELECT count(*) FROM pg_database WHERE datname LIKE '${pgScratch}%'`),
  my: await sql(
    SYSTEM_MARIADB,
    `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE '${myScratch}%'`,
  ),
});

describe("logical database drills", () => {
  let config: AgentConfig;
  let ctx: RunContext;
  let logs = "";
  let repoDir: string;

  beforeAll(async () => {
    const dir = work();
    const t = await makeRepo(dir);
    repoDir = join(dir, "repo");
    await writeFile(join(dir, "id.txt"), `${t.identity.toString()}\n`);
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${live}`);
    await psql(
      SYSTEM_PG,
      live,
      "CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2)); INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 1234) g;",
    );
    await sql(SYSTEM_MARIADB, `CREATE DATABASE ${live}`);
    await sql(
      SYSTEM_MARIADB,
      "CREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB; INSERT INTO orders SELECT seq, seq * 1.5 FROM seq_1_to_1234;",
      live,
    );
    const yaml = `repositories:
  main: { url: ${join(dir, "repo")}, agent_key: "\${KEY}", identity_file: ${join(dir, "id.txt")} }
jobs:
  pg:
    source: { type: postgres, mode: logical, database: ${live}, host: 127.0.0.1, port: 5432, user: postgres }
    repositories: [main]
  my:
    source: { type: mysql, mode: logical, database: ${live}, host: 127.0.0.1, port: 3306, user: root }
    repositories: [main]
  pg-${tag}:
    drill: { job: pg, query: "select count(*), sum(amount) from orders", expect: "1234|${SUM}" }
  pg-${tag}-wrong:
    drill: { job: pg, query: "select count(*) from orders", expect: 99 }
  my-${tag}:
    drill: { job: my, query: "select count(*), sum(amount) from orders", expect: "1234\\t${SUM}" }
`;
    config = parseConfig(yaml, "t.yaml", { KEY: t.agentKey.toFileContents() });
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((logs += c.toString()), cb()) });
    ctx = {
      config,
      cacheRoot: join(dir, "cache"),
      log: createLogger("info", sink),
      metrics: new AgentMetrics(),
      signal: new AbortController().signal,
      stateFile: join(dir, "cache", "state.json"),
      trigger: "manual",
    };
    for (const job of ["pg", "my"]) expect((await runJob(config.jobs[job], ctx)).result).toBe("success");
  }, 30_000);

  afterAll(async () => {
    await psql(SYSTEM_PG, "postgres", `DROP DATABASE IF EXISTS ${live} WITH (FORCE)`).catch(() => undefined);
    await sql(SYSTEM_MARIADB, `DROP DATABASE IF EXISTS ${live}`).catch(() => undefined);
  });

  it("PostgreSQL: replays the dump into a scratch database, checks the query, drops it; the live database is untouched", async () => {
    const out = await runJob(config.jobs[`pg-${tag}`], ctx);
    expect(out.result, out.error).toBe("success");
    expect(out.drill).toMatchObject({ job: "pg", mode: "database", queryResult: `1234|${SUM}` });
    expect(out.drill?.scratchDatabase).toMatch(new RegExp(`^${pgScratch}[0-9a-f]{16}$`));
    expect(out.drill?.restoredBytes).toBeGreaterThan(1234 * 5);
    expect(await leftovers()).toMatchObject({ pg: "0" });
    expect(await psql(SYSTEM_PG, live, "SELECT count(*) FROM orders")).toBe("1234");
  }, 30_000);

  it("PostgreSQL: a query answering otherwise fails the drill and the scratch database is still dropped", async () => {
    const out = await runJob(config.jobs[`pg-${tag}-wrong`], ctx);
    expect(out.result).toBe("failure");
    expect(out.error).toContain('the check query returned "1234", expected "99"');
    const scratch = new RegExp(`in the scratch database (${pgScratch}wrong_[0-9a-f]{16})`).exec(out.error ?? "")?.[1];
    expect(scratch).toBeDefined();
    expect(await psql(SYSTEM_PG, "postgres", `SELECT count(*) FROM pg_database WHERE datname = '${scratch}'`)).toBe(
      "0",
    );
    expect(await leftovers()).toMatchObject({ pg: "0" });
    expect(logs).toContain(`job pg-${tag}-wrong failed`);
  }, 30_000);

  it("MariaDB: replays the dump into a scratch database, checks the query, drops it; the live database is untouched", async () => {
    const out = await runJob(config.jobs[`my-${tag}`], ctx);
    expect(out.result, out.error).toBe("success");
    expect(out.drill).toMatchObject({ job: "my", mode: "database", queryResult: `1234\t${SUM}` });
    expect(out.drill?.scratchDatabase).toMatch(new RegExp(`^${myScratch}[0-9a-f]{16}$`));
    expect(await leftovers()).toMatchObject({ my: "0" });
    expect(await sql(SYSTEM_MARIADB, "SELECT count(*) FROM orders", live)).toBe("1234");
  }, 30_000);

  it("a damaged data pack fails a database drill naming the pack, and the scratch database is dropped", async () => {
    // Last: it damages the shared repository. Every data pack, so whichever holds the dump's first chunk is hit.
    const packs = objectsOfKind(repoDir, "data pack");
    for (const p of packs) flipBit(repoDir, p);
    const out = await runJob(config.jobs[`pg-${tag}`], ctx);
    expect(out.result).toBe("failure");
    expect(packs).toContain(out.drill?.damagedObject);
    expect(out.error).toContain(`damaged object ${out.drill?.damagedObject}`);
    expect(await leftovers()).toMatchObject({ pg: "0" });
    expect(await psql(SYSTEM_PG, live, "SELECT count(*) FROM orders")).toBe("1234");
  }, 30_000);
});
