/**
 * docs/DISASTER-RECOVERY.md is run literally. Every shell
 * block marked `<!-- runbook-step: NAME -->` is extracted from the markdown
 * and run with `bash -euo pipefail` in a clean directory, the way an operator
 * on a fresh machine would: cairn installed from the `npm pack` tarball with
 * `npm install --global` into a fresh prefix, a fresh HOME and cache, no agent
 * key anywhere, only the identity file, the repository URL and the cloud
 * credentials. The repository (a tricky tree, a pg_dump of a database on the
 * machine's PostgreSQL, a SQLite database and a binary dump) is backed up
 * beforehand with the normal CLI, on s3rver and on azurite, and what the
 * runbook restores is compared with the source: files byte for byte, the
 * databases by their content.
 *
 * The install runs once per file (the slow part) and serves both clouds.
 * zstd-napi's install script runs as it would for an operator, but by default
 * it finds a prebuilt binary (the project's own build of the same version,
 * packed the way prebuild-install expects) instead of compiling for ~90 s on
 * the 2-core CI machine; CAIRN_DR_COMPILE=1 makes it compile.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUD_KINDS, startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";
import { assertBuilt, cliOk, PROJECT_ROOT } from "./helpers/run-cli.js";
import { psql, SYSTEM_PG } from "./helpers/pg.js";
import { describeTree, writeSampleTree } from "./helpers/tree.js";
import { generateIdentity, newWorkspace, type Workspace } from "./helpers/workspace.js";

const RUNBOOK = join(PROJECT_ROOT, "docs", "DISASTER-RECOVERY.md");
/** The steps the runbook must keep; removing or renaming one fails the test (update this list with the doc). */
const STEPS = [
  "install",
  "snapshots",
  "ls",
  "restore-files",
  "restore-postgres-logical",
  "restore-sqlite",
  "restore-dump",
  "verify",
] as const;
type Step = (typeof STEPS)[number];

/** `<!-- runbook-step: NAME -->`, optional blank lines, then a ```sh block: NAME -> the block's text. */
function runbookSteps(markdown: string): Map<string, string> {
  const steps = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- runbook-step: ([\w-]+) -->\n+```sh\n([\s\S]*?)```/g)) {
    if (steps.has(m[1])) throw new Error(`runbook step ${m[1]} appears twice`);
    steps.set(m[1], m[2]);
  }
  return steps;
}

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** The parent's environment minus everything that could hand cairn a key, a cache or a repository behind the runbook's back. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(CAIRN_|AWS_|AZURE_|XDG_)/.test(k) && !/^npm_config_prefix$/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** zstd-napi's compiled binding as the prebuild-install tarball its install script looks for, so the install does not compile. */
function localPrebuilds(dir: string): Record<string, string> {
  if (process.env.CAIRN_DR_COMPILE === "1") return {};
  const pkgDir = join(PROJECT_ROOT, "node_modules", "zstd-napi");
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
    version: string;
    binary: { napi_versions: number[] };
  };
  const napi = Math.max(...pkg.binary.napi_versions);
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `zstd-napi-v${pkg.version}-napi-v${napi}-${process.platform}-${process.arch}.tar.gz`);
  const tar = spawnSync("tar", ["czf", tarball, "-C", pkgDir, "build/Release/binding.node"]);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  return { npm_config_zstd_napi_local_prebuilds: dir };
}

/** A table with non-ASCII text, a view and a function: what a dump must carry. */
const PG_CONTENT = `
CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, amount numeric(10, 2));
INSERT INTO orders SELECT g, 'Zoë Ångström ' || g || ' 東京', g * 1.25 FROM generate_series(1, 300) g;
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
CREATE FUNCTION order_total() RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT sum(amount) FROM orders $$;
`;
/** Row count, an order-independent digest of the rows, the view's count and the function's value. */
const PG_CHECK =
  "SELECT count(*) || '|' || md5(string_agg(o::text, ',' ORDER BY id)) || '|' || (SELECT count(*) FROM big_orders) || '|' || order_total() FROM orders o";

/** What the old site left in one cloud repository: its URL, the identity, and the 8-character ids of its snapshots. */
interface Yesterday {
  url: string;
  identity: string;
  pgSource: string;
  pgRestored: string;
  files: string;
  pg: string;
  sqlite: string;
  dump: string;
}

/** Names that break careless shell quoting or path handling, on top of the sample tree. */
function writeTrickyTree(root: string): Promise<unknown> {
  for (const name of [
    "with space.txt",
    "-leading-dash",
    "new\nline",
    "ünïcødé 名前 🎉.txt",
    "it's $(not) a `command`.txt",
    "*glob?[x]",
  ])
    writeFileSync(join(root, name), `${name}\n`);
  return writeSampleTree(root);
}

describe("docs/DISASTER-RECOVERY.md, run literally on a fresh machine", () => {
  let clean: string;
  let steps: Map<string, string>;
  let installEnv: NodeJS.ProcessEnv;
  const clouds = new Map<string, CloudTarget>();
  let ws: Workspace;
  let db: string;
  let dumpBytes: Buffer;
  const pgDatabases: string[] = [];
  const yesterday = new Map<string, Yesterday>();

  const step = (name: Step): string => steps.get(name)!;
  async function runStep(name: Step, env: NodeJS.ProcessEnv, cwd: string): Promise<StepResult> {
    const r = await bash(step(name), env, cwd);
    if (r.code !== 0)
      throw new Error(
        `runbook step ${name} exited ${r.code}\n--- script\n${step(name)}--- stdout\n${r.stdout}--- stderr\n${r.stderr}`,
      );
    return r;
  }

  beforeAll(async () => {
    assertBuilt();
    steps = runbookSteps(readFileSync(RUNBOOK, "utf8"));
    expect([...steps.keys()].sort()).toEqual([...STEPS].sort());
    clean = mkdtempSync(join(tmpdir(), "cairn-dr-runbook-"));
    mkdirSync(join(clean, "home"));
    const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", clean], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const tarball = join(clean, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
    installEnv = cleanEnv({
      HOME: join(clean, "home"),
      XDG_CACHE_HOME: join(clean, "home", ".cache"),
      NPM_CONFIG_PREFIX: join(clean, "prefix"),
      PATH: `${join(clean, "prefix", "bin")}:${process.env.PATH ?? ""}`,
      // The download cache only: the user's, so a warm cache spares the network; nothing of cairn lives there.
      npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
      npm_config_prefer_offline: "true",
      JOBS: "max",
      CAIRN_PACKAGE: tarball,
      ...localPrebuilds(join(clean, "prebuilds")),
    });

    ws = await newWorkspace("dr-runbook");
    db = join(ws.dir, "app.db");
    dumpBytes = Buffer.concat([
      Buffer.from("ledger dump\n"),
      Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256)),
    ]);
    writeFileSync(join(ws.dir, "ledger.dump"), dumpBytes);
    const sqlite = spawnSync("sqlite3", [
      "-bail",
      db,
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT); WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 500) INSERT INTO orders (item) SELECT 'Zoë ' || n FROM s;",
    ]);
    if (sqlite.status !== 0) throw new Error(`sqlite3: ${sqlite.stderr.toString()}`);

    // The install is mostly waiting on npm; the backups run meanwhile.
    const backups = async () => {
      await writeTrickyTree(ws.src);
      await Promise.all(
        CLOUD_KINDS.map(async (kind) => {
          const cloud = await startCloudTarget(kind);
          clouds.set(kind, cloud);
          yesterday.set(kind, await backUpYesterday(kind, cloud));
        }),
      );
    };
    const [install] = await Promise.all([runStep("install", installEnv, clean), backups()]);
    expect(install.stdout).toContain(join(clean, "prefix", "bin", "cairn"));
    expect(install.stdout).toMatch(/^0\.1\.0$/m);
  }, 300_000);

  afterAll(async () => {
    for (const name of pgDatabases)
      await psql(SYSTEM_PG, "postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await Promise.all([...clouds.values()].map((c) => c.emulator.stop()));
    await ws?.cleanup();
    if (clean) rmSync(clean, { recursive: true, force: true });
  });

  /** Yesterday, at the old site: the agent's usual backups, with its agent key and cache (the project's own CLI). */
  async function backUpYesterday(kind: string, cloud: CloudTarget): Promise<Yesterday> {
    const url = cloud.url("dr");
    const identity = join(ws.dir, `id-${kind}.txt`);
    const recipient = await generateIdentity(identity);
    const agentKey = join(ws.dir, `agent-${kind}.key`);
    await cliOk(["init", "--repo", url, "--recipient", recipient, "--agent-key-file", agentKey], { env: cloud.env });
    const agent = ["--repo", url, "--agent-key-file", agentKey, "--cache-dir", join(ws.cache, kind), "--json"];
    const snapshotOf = async (args: string[]): Promise<string> => {
      const out = (await cliOk(["backup", ...agent, ...args], { env: cloud.env })).stdout;
      return (JSON.parse(out.trim().split("\n").at(-1)!) as { snapshot: string }).snapshot.slice(0, 8);
    };
    const pgSource = `dr_src_${kind}_${process.pid}`;
    const pgRestored = `dr_restored_${kind}_${process.pid}`;
    pgDatabases.push(pgSource, pgRestored);
    await psql(SYSTEM_PG, "postgres", `CREATE DATABASE ${pgSource}`);
    await psql(SYSTEM_PG, pgSource, PG_CONTENT);
    return {
      url,
      identity,
      pgSource,
      pgRestored,
      files: await snapshotOf([ws.src]),
      pg: await snapshotOf([
        "--source",
        `{type: postgres, mode: logical, database: ${pgSource}, host: ${SYSTEM_PG.host}, port: ${SYSTEM_PG.port}, user: postgres}`,
      ]),
      sqlite: await snapshotOf(["--source", `{type: sqlite, path: '${db}'}`]),
      dump: await snapshotOf(["--dump", `cat ${join(ws.dir, "ledger.dump")}`, "--dump-name", "ledger.dump"]),
    };
  }

  it.concurrent.each(CLOUD_KINDS)(
    "restores files, a PostgreSQL dump, a SQLite database and a dump from %s with only the identity",
    async (kind) => {
      const cloud = clouds.get(kind)!;
      const {
        url,
        identity,
        pgSource,
        pgRestored,
        files,
        pg: pgSnap,
        sqlite: sqliteSnap,
        dump: dumpSnap,
      } = yesterday.get(kind)!;

      // Today, on the fresh machine: the identity file, the URL and the credentials; nothing else.
      const here = join(clean, kind);
      mkdirSync(join(here, "dr"), { recursive: true });
      copyFileSync(identity, join(here, "dr", "id.txt"));
      const restoreDir = join(here, "restore");
      const streamed = join(here, "streamed.dump");
      const env = cleanEnv({
        ...cloud.env,
        HOME: installEnv.HOME!,
        XDG_CACHE_HOME: join(here, "cache"),
        PATH: installEnv.PATH!,
        CAIRN_REPO: url,
        CAIRN_IDENTITY_FILE: join(here, "dr", "id.txt"),
        RESTORE_DIR: restoreDir,
        SNAPSHOT: files,
        PG_SNAPSHOT: pgSnap,
        PG_DUMPED_DATABASE: pgSource,
        PG_DATABASE: pgRestored,
        PGHOST: SYSTEM_PG.host,
        PGPORT: String(SYSTEM_PG.port),
        PGUSER: "postgres",
        SQLITE_SNAPSHOT: sqliteSnap,
        SQLITE_PATH: db,
        DUMP_SNAPSHOT: dumpSnap,
        DUMP_NAME: "ledger.dump",
        RESTORE_COMMAND: `dd of=${streamed} status=none`,
      });

      const listed = await runStep("snapshots", env, here);
      for (const id of [files, pgSnap, sqliteSnap, dumpSnap]) expect(listed.stdout).toContain(id);
      expect(listed.stdout).toMatch(/^4 snapshot\(s\)$/m);
      expect((await runStep("ls", env, here)).stdout).toContain("ünïcødé 名前 🎉.txt");

      await runStep("restore-files", env, here);
      expect(await describeTree(join(restoreDir, "files", ws.src))).toEqual(await describeTree(ws.src));

      await runStep("restore-postgres-logical", env, here);
      const pgContent = (name: string) => psql(SYSTEM_PG, name, PG_CHECK);
      expect(await pgContent(pgRestored)).toBe(await pgContent(pgSource));
      expect(await pgContent(pgRestored)).toMatch(/^300\|/);

      const sqlite = await runStep("restore-sqlite", env, here);
      expect(sqlite.stdout.trim().split("\n").at(-1)).toBe("ok");
      const restoredDb = join(restoreDir, "sqlite", "app.db");
      const dumpOf = (file: string) => spawnSync("sqlite3", [file, ".dump"], { encoding: "utf8" }).stdout;
      expect(dumpOf(restoredDb)).toBe(dumpOf(db));
      expect(dumpOf(restoredDb)).toContain("Zoë 500");

      await runStep("restore-dump", env, here);
      expect(readFileSync(streamed).equals(dumpBytes)).toBe(true);
      expect(readFileSync(join(restoreDir, "ledger.dump")).equals(dumpBytes)).toBe(true);

      expect((await runStep("verify", env, here)).stdout).toMatch(/no problems found/);
    },
    180_000,
  );
});
