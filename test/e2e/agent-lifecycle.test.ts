/**
 * The agent's lifecycle and its one-shot companions, on local repositories:
 * SIGHUP reloads (an invalid config is refused and the running one kept),
 * SIGTERM during a backup abandons it safely and exits 0 within the grace
 * period, a second signal exits at once; `cairn run` of a sync job, `cairn
 * status` (no secrets shown) and `cairn config validate` exit codes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { freePort, metric, startAgent, until } from "./helpers/agent-process.js";

const dir = mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), "cairn-agent-life-"));
const data = join(dir, "data");
const repo = join(dir, "repo");
const mirror = join(dir, "mirror");
let keyText = "";
let repoArgs: string[];
const env = (): Record<string, string> => ({ CAIRN_TEST_AGENT_KEY: keyText, PING_TOKEN: "tok-SECRET-42" });

function config(
  port: number,
  o: { schedule?: string; limit?: boolean; extraJob?: string; grace?: string } = {},
): string {
  return `repositories:
  main:
    url: ${repo}
    agent_key: \${CAIRN_TEST_AGENT_KEY}
${o.limit ? "    limit_upload_mib: 1\n" : ""}  mirror:
    url: ${mirror}
jobs:
  files:
    source: { type: files, paths: [${data}] }
    schedule: "${o.schedule ?? "0 0 1 1 *"}"
    repositories: [main]
    retry: { attempts: 0 }
    notify: { on_success: "http://127.0.0.1:9/ping/\${PING_TOKEN}", timeout: 1s }
  mirror:
    sync: { from: main, to: mirror }
${o.extraJob ?? ""}agent:
  listen: 127.0.0.1:${port}
  cache_dir: ${join(dir, "cache")}
  grace_period: ${o.grace ?? "3s"}
  prune: { schedule: "*/2 * * * * *", grace: 0s }
`;
}

async function snapshotCount(): Promise<number> {
  return (JSON.parse((await cliOk(["snapshots", ...repoArgs, "--json"])).stdout) as unknown[]).length;
}

beforeAll(async () => {
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, "a.txt"), "hello\n");
  const id = await cliOk(["key", "generate", "--output", join(dir, "id.txt")]);
  const recipient = /age1[0-9a-z]+/.exec(id.stdout + id.stderr)![0];
  await cliOk(["init", "--repo", repo, "--recipient", recipient, "--agent-key-file", join(dir, "agent.key")]);
  keyText = readFileSync(join(dir, "agent.key"), "utf8");
  repoArgs = ["--repo", repo, "--agent-key-file", join(dir, "agent.key")];
}, 20_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("agent lifecycle (e2e, local)", () => {
  it("SIGHUP: an invalid config is refused and the old one kept; a valid one adds a job that then runs; prune runs on its schedule", async () => {
    const port = await freePort();
    const file = join(dir, "reload.yaml");
    writeFileSync(file, config(port));
    const agent = startAgent(file, env());
    await until(() => agent.lines.find((l) => l.event === "agent_started"), "the agent to start");
    writeFileSync(file, config(port).replace("retry:", "retyr:"));
    agent.child.kill("SIGHUP");
    const failed = await until(
      () => agent.lines.find((l) => l.event === "config_reload_failed"),
      "the reload to be refused",
    );
    expect(JSON.stringify(failed)).toContain("jobs.files.retyr");
    writeFileSync(
      file,
      config(port, {
        extraJob: `  extra:\n    source: { type: files, paths: [${data}] }\n    schedule: "*/1 * * * * *"\n    repositories: [main]\n`,
      }),
    );
    agent.child.kill("SIGHUP");
    await until(() => agent.lines.find((l) => l.event === "config_reloaded"), "the reload");
    await until(
      () => agent.lines.find((l) => l.event === "job_run" && l.job === "extra" && l.result === "success"),
      "the new job's run",
    );
    await until(
      async () =>
        (await metric(port, /^cairn_prune_runs_total\{repository="main",result="success"\} (\d+)$/m)) >= 1 || undefined,
      "a scheduled prune",
    );
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect(JSON.stringify(agent.lines)).not.toContain("tok-SECRET-42");
    expect(JSON.stringify(agent.lines)).not.toContain("AGE-SECRET-KEY");
  }, 30_000);

  it("SIGTERM during a backup abandons it past the grace period (no snapshot) and exits 0; a second signal exits at once", async () => {
    writeFileSync(join(data, "big.bin"), randomBytes(6 * 1024 * 1024));
    const before = await snapshotCount();
    const port = await freePort();
    const file = join(dir, "slow.yaml");
    // 6 MiB at 1 MiB/s outlasts a 2 s grace period.
    writeFileSync(file, config(port, { schedule: "*/1 * * * * *", limit: true, grace: "2s" }));
    const agent = startAgent(file, env());
    await until(() => agent.lines.find((l) => l.event === "job_started" && l.job === "files"), "a backup to start");
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect(agent.lines.find((l) => l.event === "abandoning_runs")).toMatchObject({ jobs: ["files"] });
    // The run either unwound through its AbortSignal in time (and says so) or ended with the process.
    const run = agent.lines.find((l) => l.event === "job_run" && l.job === "files");
    if (run) expect(run).toMatchObject({ result: "failure", error: expect.stringContaining("abandoned at shutdown") });
    else expect(agent.lines.find((l) => l.event === "agent_stopped")).toMatchObject({ abandoned: ["files"] });
    expect(await snapshotCount()).toBe(before);

    const again = startAgent(file, env());
    await until(() => again.lines.find((l) => l.event === "job_started" && l.job === "files"), "a backup to start");
    again.child.kill("SIGTERM");
    await until(() => again.lines.find((l) => l.event === "agent_stopping"), "the agent to start stopping");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(130);
    expect(again.lines.some((l) => l.event === "agent_killed")).toBe(true);
    rmSync(join(data, "big.bin"));
  }, 30_000);

  it("cairn run: a backup then a sync job; cairn status shows both without secrets; config validate exits 2 on a bad file", async () => {
    const file = join(dir, "run.yaml");
    writeFileSync(file, config(await freePort()));
    const backup = await runCli(["run", "--config", file, "files"], { env: env() });
    expect(backup.code, backup.stderr).toBe(0);
    const sync = await runCli(["run", "--config", file, "mirror"], { env: env() });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toContain('"objects_copied"');
    const mirrored = await cliOk(["snapshots", "--repo", mirror, "--agent-key-file", join(dir, "agent.key"), "--json"]);
    expect((JSON.parse(mirrored.stdout) as unknown[]).length).toBe(await snapshotCount());

    const status = await cliOk(["status", "--config", file, "--json"], { env: env() });
    const s = JSON.parse(status.stdout) as {
      jobs: { name: string; lastRun: { result: string } | null; nextRun: string | null }[];
      repositories: { name: string; reachable: boolean }[];
    };
    expect(s.jobs.map((j) => [j.name, j.lastRun?.result])).toEqual([
      ["files", "success"],
      ["mirror", "success"],
    ]);
    expect(s.jobs[0].nextRun).toMatch(/^\d{4}-01-01T/);
    expect(s.repositories).toEqual([
      expect.objectContaining({ name: "main", reachable: true }),
      expect.objectContaining({ name: "mirror", reachable: true }),
    ]);
    const human = await cliOk(["status", "--config", file], { env: env() });
    for (const out of [status.stdout, human.stdout]) {
      expect(out).not.toContain("AGE-SECRET-KEY");
      expect(out).not.toContain("tok-SECRET-42");
    }

    expect((await runCli(["config", "validate", "--config", file], { env: env() })).code).toBe(0);
    const bad = await runCli(["config", "validate", "--config", file], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("environment variable CAIRN_TEST_AGENT_KEY is not set");
    expect(bad.stderr).toContain("environment variable PING_TOKEN is not set");
    expect((await runCli(["run", "--config", file, "nope"], { env: env() })).code).toBe(2);
  }, 30_000);
});
