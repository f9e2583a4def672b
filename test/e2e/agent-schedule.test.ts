/**
 * The agent as users run it: the built CLI (`cairn agent`) with a config whose
 * schedule fires every 2 seconds, backing up a directory to s3rver. Checks
 * the snapshots it writes, /metrics, a file changed between runs, SIGTERM
 * (exit 0), and kill -9 in the middle of a backup (repository checks clean,
 * the next run succeeds).
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { freePort, metric, startAgent, until } from "./helpers/agent-process.js";

const dir = mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), "cairn-agent-e2e-"));
const data = join(dir, "data");
let s3: CloudTarget;
let env: Record<string, string>;
let repoArgs: string[];

function writeConfig(file: string, port: number, extraRepo = ""): string {
  writeFileSync(
    file,
    `repositories:
  main:
    url: ${s3.url("agent")}
    agent_key_file: ${join(dir, "agent.key")}
    s3: { endpoint: "\${AWS_ENDPOINT_URL}" }
${extraRepo}jobs:
  files:
    source: { type: files, paths: [${data}], exclude: ["*.tmp"] }
    schedule: "*/2 * * * * *"
    repositories: [main]
    retention: { keep_last: 10 }
    retry: { attempts: 0 }
agent:
  listen: 127.0.0.1:${port}
  cache_dir: ${join(dir, "cache")}
  grace_period: 8s
`,
  );
  return file;
}

async function snapshotIds(): Promise<string[]> {
  const r = await cliOk(["snapshots", ...repoArgs, "--json"], { env });
  return (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id);
}

beforeAll(async () => {
  s3 = await startCloudTarget("s3");
  env = { ...s3.env };
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, "notes.txt"), "version 1\n");
  writeFileSync(join(data, "skip.tmp"), "excluded\n");
  const id = await cliOk(["key", "generate", "--output", join(dir, "id.txt")], { env });
  const recipient = /age1[0-9a-z]+/.exec(id.stdout + id.stderr)![0];
  repoArgs = ["--repo", s3.url("agent"), "--agent-key-file", join(dir, "agent.key"), "--identity", join(dir, "id.txt")];
  await cliOk(
    ["init", "--repo", s3.url("agent"), "--recipient", recipient, "--agent-key-file", join(dir, "agent.key")],
    { env },
  );
}, 30_000);

afterAll(async () => {
  await s3?.emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("cairn agent (e2e, s3rver)", () => {
  it("backs up on schedule, a changed file lands in a later snapshot, /metrics moves, SIGTERM exits 0", async () => {
    const port = await freePort();
    const agent = startAgent(writeConfig(join(dir, "agent.yaml"), port), env);
    const successes = () => metric(port, /^cairn_job_runs_total\{job_name="files",result="success"\} (\d+)$/m);
    await until(async () => (await successes()) >= 1 || undefined, "the first scheduled run");
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    writeFileSync(join(data, "notes.txt"), "version 2, changed between runs\n");
    // A run that started after the change: two more successes than when it was made.
    const atChange = await successes();
    await until(async () => (await successes()) >= atChange + 2 || undefined, "two runs after the change");
    expect(await metric(port, /^cairn_backup_bytes_read_total\{job_name="files"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(await metric(port, /^cairn_backup_files_total\{job_name="files"\} (\d+)$/m)).toBeGreaterThanOrEqual(3);
    expect(await metric(port, /^cairn_repository_reachable\{repository="main"\} (\d+)$/m)).toBe(1);
    expect(await metric(port, /^cairn_job_last_success_timestamp_seconds\{job_name="files"\} (\S+)$/m)).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );

    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect(agent.lines.some((l) => l.event === "agent_stopped")).toBe(true);
    const runs = agent.lines.filter((l) => l.event === "job_run");
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((l) => l.result === "success")).toBe(true);

    const ids = await snapshotIds();
    expect(ids.length).toBe(runs.length);
    const first = await cliOk(["dump", ...repoArgs, ids[0], join(data, "notes.txt")], { env });
    const last = await cliOk(["dump", ...repoArgs, "latest", join(data, "notes.txt")], { env });
    expect(first.stdout).toBe("version 1\n");
    expect(last.stdout).toBe("version 2, changed between runs\n");
    const ls = await cliOk(["ls", ...repoArgs, "latest"], { env });
    expect(ls.stdout).not.toContain("skip.tmp");
  }, 40_000);

  it("kill -9 in the middle of a backup leaves a repository that checks clean; the next run succeeds", async () => {
    writeFileSync(join(data, "big.bin"), randomBytes(3 * 1024 * 1024));
    const port = await freePort();
    // 1 MiB/s upload: the run with 3 MiB of new data is still going when it is killed.
    const config = writeConfig(join(dir, "slow.yaml"), port);
    const text = readFileSync(config, "utf8").replace(
      '    s3: { endpoint: "${AWS_ENDPOINT_URL}" }\n',
      '    s3: { endpoint: "${AWS_ENDPOINT_URL}" }\n    limit_upload_mib: 1\n',
    );
    writeFileSync(config, text);
    const before = await snapshotIds();
    const agent = startAgent(config, env);
    await until(() => agent.lines.find((l) => l.event === "job_started"), "a run to start");
    await new Promise((r) => setTimeout(r, 800));
    agent.child.kill("SIGKILL");
    await agent.exited;
    expect(agent.lines.some((l) => l.event === "job_run")).toBe(false); // it was killed mid-run
    expect(await snapshotIds()).toEqual(before);
    const check = await runCli(["check", ...repoArgs], { env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const run = await runCli(["run", "--config", join(dir, "agent.yaml"), "files"], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const after = await snapshotIds();
    expect(after.length).toBe(before.length + 1);
    expect((await cliOk(["dump", ...repoArgs, "latest", join(data, "big.bin")], { env })).stdoutBytes.length).toBe(
      3 * 1024 * 1024,
    );
  }, 40_000);
});
