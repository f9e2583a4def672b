/**
 * A store that accepts connections and never answers fails a command within
 * the bound docs/STORAGE.md §Timeouts documents (attempts × the storage
 * timeout, plus the backoff between them), and every retry is reported as it
 * happens; a storage failure during a backup fails the backup with the
 * storage's error instead of turning into "cannot read file" warnings.
 * Durations are printed, never asserted.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

// azurite's well-known development account: the silent endpoint never checks it.
const AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

let ws: Workspace;
let silent: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  ws = await initWorkspace("slow-storage");
  writeFileSync(join(ws.src, "f"), "data");
  // Accepts every connection, reads what is sent, answers nothing.
  silent = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
  endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((done) => silent?.close(done));
  await ws?.cleanup();
});

const S3_ENV = {
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "secret",
  AWS_REGION: "us-east-1",
  AWS_EC2_METADATA_DISABLED: "true",
};

async function timed(label: string, run: () => Promise<CliResult>): Promise<CliResult> {
  const started = Date.now();
  const r = await run();
  console.log(`${label}: exit ${r.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r;
}

/** Four retry lines (attempts 1-4 of 5) naming the store and the object, then the final error with its hint. */
function expectRetriedThenFailed(r: CliResult, storage: string): void {
  const shown = `exit ${r.code}\n${r.stderr}`;
  expect(r.code, shown).toBe(1);
  for (const attempt of [1, 2, 3, 4])
    expect(r.stderr, shown).toMatch(
      new RegExp(`warning: ${storage} config: get attempt ${attempt} of 5 failed \\(.+\\); retrying in \\d+\\.\\d s`),
    );
  expect(r.stderr, shown).toContain(`cairn: ${storage} config: get failed after 5 attempts`);
  expect(r.stderr, shown).toContain("no answer from the storage within 1 s");
  expect(r.stderr, shown).toContain("hint: the storage accepted the connection but did not answer");
  expect(r.stderr, shown).not.toMatch(/unexpected error|\n\s+at /);
}

describe("a store that accepts connections and never answers", () => {
  it("S3: fails after 5 attempts of the storage timeout, saying each retry", async () => {
    const r = await timed("s3, silent endpoint, --storage-timeout 1s", () =>
      runCli(
        [
          "snapshots",
          ...["--repo", "s3://bucket-1/repo", "--s3-endpoint", endpoint, "--storage-timeout", "1s"],
          ...["--agent-key-file", ws.agentKey],
        ],
        { env: S3_ENV, timeoutMs: 60_000 },
      ),
    );
    expectRetriedThenFailed(r, "s3://bucket-1/repo");
  });

  it("Azure: the same, through the SDK's idle-timeout agent", async () => {
    const r = await timed("azure, silent endpoint, --storage-timeout 1s", () =>
      runCli(
        ["snapshots", "--repo", "azure://container-1/repo", "--storage-timeout", "1s", "--agent-key-file", ws.agentKey],
        {
          env: {
            AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURE_KEY};BlobEndpoint=${endpoint}/devstoreaccount1;`,
          },
          timeoutMs: 60_000,
        },
      ),
    );
    expectRetriedThenFailed(r, "azure://container-1/repo");
  });

  it("cairn run: the config's repositories.NAME.timeout, each retry a storage_retry log line", async () => {
    const config = join(ws.dir, "slow.yaml");
    writeFileSync(
      config,
      `repositories:\n  slow:\n    url: s3://bucket-1/repo\n    agent_key: "\${KEY}"\n    s3: { endpoint: "${endpoint}" }\n    timeout: 1s\n` +
        `jobs:\n  files:\n    source: { type: files, paths: [${ws.src}] }\n    repositories: [slow]\n    retry: { attempts: 0 }\n` +
        `agent:\n  cache_dir: ${ws.cache}\n`,
    );
    const key = readFileSync(ws.agentKey, "utf8");
    const r = await timed("cairn run, silent endpoint, timeout: 1s", () =>
      runCli(["run", "--config", config, "files"], { env: { ...S3_ENV, KEY: key }, timeoutMs: 60_000 }),
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const retries = lines.filter((l) => l.event === "storage_retry");
    expect(retries.map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
    expect(retries[0]).toMatchObject({ level: "warn", storage: "s3://bucket-1/repo", op: "get", key: "config" });
    expect(typeof retries[0].retry_in_s).toBe("number");
    expect(lines.find((l) => l.event === "job_run")?.error).toContain("get failed after 5 attempts");
  });
});

describe("a storage failure during a backup", () => {
  it("fails the backup with the storage's error, not as files that could not be read", async () => {
    // Packs cannot be written (data/ is a file), while config, keys and index are readable as usual.
    rmSync(join(ws.repo, "data"), { recursive: true, force: true });
    writeFileSync(join(ws.repo, "data"), "");
    // Enough incompressible data that packs are uploaded while later files are still being saved.
    for (let i = 0; i < 4; i++) writeFileSync(join(ws.src, `big-${i}`), randomBytes(12 * 1024 * 1024));
    const r = await runCli(["backup", ...repoFlags(ws), "--no-cache", ws.src], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cairn: local:.* data\/[0-9a-f]{2}\/[0-9a-f]{64}: .*not a directory/);
    expect(r.stderr).not.toContain("cannot read file");
    expect(r.stdout).not.toContain("could not be backed up");
    const snapshots = await runCli(["snapshots", ...repoFlags(ws), "--json"]);
    expect(JSON.parse(snapshots.stdout)).toEqual([]);
  });
});
