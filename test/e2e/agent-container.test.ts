/**
 * The agent as a container runs it (docs/CONFIG.md §Containers): a new
 * container's random hostname does not split a job's snapshots (the second
 * backup finds the first as its parent and reads no file again; retention
 * counts them as one group); a read-only cache directory is a warning, not
 * a failed backup; SIGTERM while a job waits to retry stops at once; a run
 * killed outright (kill -9, as the OOM killer does) is reported at the next
 * start. The real CLI and agent processes; triggers are log lines and the
 * state file, never delays.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { freePort, metric, startAgent, until } from "./helpers/agent-process.js";
import { cliOk, PROJECT_ROOT, runCli } from "./helpers/run-cli.js";

const dir = mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), "cairn-agent-container-"));
const repo = join(dir, "repo");
const cache = join(dir, "cache");
const PRELOAD = resolve(PROJECT_ROOT, "test", "e2e", "helpers", "os-hostname.mjs");
let keyText = "";
let hook: WebhookReceiver;

/** A config with one backup job `app` of `data`; `extra` goes under the job, `agent` under agent:. */
function config(o: { data: string; extra?: string; agent?: string; cacheDir?: string }): string {
  return `repositories:
  main:
    url: ${repo}
    agent_key: \${CAIRN_TEST_AGENT_KEY}
jobs:
  app:
    source: { type: files, paths: [${o.data}] }
    repositories: [main]
${o.extra ?? ""}agent:
  cache_dir: ${o.cacheDir ?? cache}
${o.agent ?? ""}`;
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function dataDir(name: string, files = 20): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(d, `f${i}.txt`), `file ${i} of ${name}\n`);
  return d;
}

function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** `cairn run JOB` as a new container would start it: another OS hostname each time. */
async function runAs(osHostname: string, file: string, env: Record<string, string> = {}) {
  const r = await runCli(["run", "--config", file, "app"], {
    env: {
      CAIRN_TEST_AGENT_KEY: keyText,
      NODE_OPTIONS: `--import ${PRELOAD}`,
      TEST_OS_HOSTNAME: osHostname,
      ...env,
    },
  });
  const run = logLines(r.stdout).find((l) => l.event === "job_run");
  expect(run, r.stdout + r.stderr).toBeDefined();
  return { ...r, run: run!, lines: logLines(r.stdout) };
}

async function snapshotsOf(paths: string) {
  const out = await cliOk(["snapshots", "--repo", repo, "--agent-key-file", join(dir, "agent.key"), "--json"]);
  return (JSON.parse(out.stdout) as { id: string; host: string; parent?: string; paths: string[] }[]).filter(
    (s) => s.paths[0] === paths,
  );
}

beforeAll(async () => {
  const id = await cliOk(["key", "generate", "--output", join(dir, "id.txt")]);
  const recipient = /age1[0-9a-z]+/.exec(id.stdout + id.stderr)![0];
  await cliOk(["init", "--repo", repo, "--recipient", recipient, "--agent-key-file", join(dir, "agent.key")]);
  keyText = readFileSync(join(dir, "agent.key"), "utf8");
  hook = await startWebhookReceiver();
}, 30_000);

afterAll(async () => {
  await hook?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the agent in a container (e2e)", () => {
  it("two containers with different hostnames: one host, the second backup reuses the first as its parent, retention sees one group", async () => {
    const data = dataDir("data-host");
    const file = writeConfig("host.yaml", config({ data, extra: "    retention: { keep_last: 1 }\n" }));
    // `container` is what Podman and systemd-nspawn set; it makes the test mean the same on a host and in CI's container.
    const first = await runAs("app-7d9f8-x2bq1", file, { container: "podman" });
    const second = await runAs("app-7d9f8-p9zk4", file, { container: "podman" });
    expect([first.code, second.code], second.stdout).toEqual([0, 0]);
    expect(first.run).toMatchObject({ host: "app", files_unchanged: 0 });
    // The parent's cache said every file is unchanged: nothing was read again.
    expect(second.run).toMatchObject({ host: "app", files: 20, files_unchanged: 20, bytes_read: 0 });
    const firstId = (first.run.snapshots as Record<string, string>).main;
    const snaps = await snapshotsOf(data);
    expect(snaps).toEqual([
      expect.objectContaining({
        id: (second.run.snapshots as Record<string, string>).main,
        host: "app",
        parent: firstId,
      }),
    ]); // keep_last 1 removed the first container's snapshot: one group, not one per container

    // CAIRN_HOST (or agent.host, or the job's host) names the host instead, wherever it runs.
    const named = await runAs("web-1", file, { CAIRN_HOST: "app1.prod" });
    const again = await runAs("web-2", file, { CAIRN_HOST: "app1.prod" });
    expect(named.run.host).toBe("app1.prod");
    expect(again.run).toMatchObject({ host: "app1.prod", files_unchanged: 20, bytes_read: 0 });
  }, 60_000);

  it("a cache directory on a read-only file system: the backup succeeds, warning with the path, the real cause and the fix", async () => {
    const data = dataDir("data-ro", 3);
    const ro = readOnlyDir(join(dir, "ro-cache"));
    const file = writeConfig("ro.yaml", config({ data, cacheDir: ro.cacheDir }));
    const r = await runCli(["run", "--config", file, "app"], {
      env: { CAIRN_TEST_AGENT_KEY: keyText },
      prefix: ro.prefix,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = logLines(r.stdout);
    expect(lines.find((l) => l.event === "job_run")).toMatchObject({ result: "success" });
    const cacheWarning = lines.find((l) => l.event === "cache_unwritable");
    expect(cacheWarning).toMatchObject({ level: "warn", code: ro.code });
    expect(String(cacheWarning?.path)).toContain(join(dir, "ro-cache"));
    expect(cacheWarning?.hint).toContain(
      `mount a writable volume at ${ro.cacheDir}, or point the cache at one (agent.cache_dir`,
    );
    expect(lines.find((l) => l.event === "state_unwritable")).toMatchObject({ level: "warn", code: ro.code });
    expect(await snapshotsOf(data)).toHaveLength(1);
  }, 30_000);

  it("SIGTERM while a job waits to retry: the wait ends at once and the agent exits 0, without using its grace period", async () => {
    const port = await freePort();
    const file = writeConfig(
      "retry.yaml",
      config({
        data: dataDir("data-retry", 1),
        // A long backoff and a long grace period: the agent stops promptly only if the wait is abandoned at SIGTERM.
        extra: `    run_on_start: true\n    retry: { attempts: 3, backoff: 1h }\n    hooks: { before: "exit 1" }\n`,
        agent: `  listen: 127.0.0.1:${port}\n  grace_period: 120s\n`,
      }),
    );
    const agent = startAgent(file, { CAIRN_TEST_AGENT_KEY: keyText });
    await until(() => agent.lines.find((l) => l.event === "retry_wait"), "the job to wait for its retry");
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect(agent.lines.some((l) => l.event === "abandoning_runs")).toBe(false);
    expect(agent.lines.find((l) => l.event === "job_run")).toMatchObject({
      result: "failure",
      attempts: 1,
      error: expect.stringContaining("abandoned at shutdown"),
    });
    expect(agent.lines.find((l) => l.event === "agent_stopped")).toMatchObject({ abandoned: [] });
  }, 30_000);

  it("kill -9 during a backup: the next start reports the run as interrupted (log line, metric, notification, status)", async () => {
    const data = dataDir("data-oom", 1);
    writeFileSync(join(data, "big.bin"), randomBytes(6 * 1024 * 1024));
    const port = await freePort();
    const stateDir = join(dir, "cache-oom");
    const text = config({
      data,
      cacheDir: stateDir,
      extra: `    run_on_start: true\n    retry: { attempts: 0 }\n    notify: { on_failure: "${hook.url}/alerts/t0k" }\n`,
      agent: `  listen: 127.0.0.1:${port}\n`,
    }).replace("agent_key: ${CAIRN_TEST_AGENT_KEY}", "agent_key: ${CAIRN_TEST_AGENT_KEY}\n    limit_upload_mib: 1");
    const file = writeConfig("oom.yaml", text);
    const agent = startAgent(file, { CAIRN_TEST_AGENT_KEY: keyText });
    // The run's marker is in the state file before the run does anything: read it from there, then kill.
    const marker = await until(() => runningMarker(join(stateDir, "agent-state.json")), "the run's marker");
    await until(() => agent.lines.find((l) => l.event === "job_started"), "the backup to start");
    agent.child.kill("SIGKILL");
    await agent.exited;
    expect(agent.lines.some((l) => l.event === "job_run")).toBe(false);

    const before = hook.received.length;
    writeFileSync(file, text.replace("run_on_start: true", "run_on_start: false"));
    const next = startAgent(file, { CAIRN_TEST_AGENT_KEY: keyText });
    const report = await until(
      () => next.lines.find((l) => l.event === "job_interrupted"),
      "the interrupted run's report",
    );
    expect(report).toMatchObject({ level: "error", job: "app", started_at: marker.startedAt, pid: marker.pid });
    await until(
      async () =>
        (await metric(port, /^cairn_job_interrupted_runs_total\{job_name="app"\} (\d+)$/m)) === 1 || undefined,
      "the interrupted-runs counter",
    );
    const ping = await until(
      () => hook.received.slice(before).find((r) => r.path === "/alerts/t0k"),
      "the notification",
    );
    expect(JSON.parse(ping.body)).toMatchObject({
      job: "app",
      event: "interrupted",
      result: "failure",
      started_at: marker.startedAt,
    });
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
    // Exit 5: a job's last run failed (docs/CONFIG.md §cairn run and cairn status).
    const st = await runCli(["status", "--config", file, "--json"], { env: { CAIRN_TEST_AGENT_KEY: keyText } });
    expect(st.code, st.stderr).toBe(5);
    const status = JSON.parse(st.stdout) as {
      jobs: { name: string; lastRun: { result: string; error: string } | null }[];
    };
    expect(status.jobs[0].lastRun).toMatchObject({ result: "failure", error: expect.stringContaining("interrupted") });
  }, 60_000);
});

function runningMarker(stateFile: string): { startedAt: string; pid: number } | undefined {
  try {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as {
      jobs: Record<string, { running?: { startedAt: string; pid: number } }>;
    };
    return state.jobs.app?.running;
  } catch {
    return undefined;
  }
}

/**
 * A cache directory the CLI cannot write: a read-only tmpfs mounted in a
 * mount namespace of its own (EROFS, as a container's --read-only root),
 * where unshare and mount may; else a path below a regular file (ENOTDIR).
 */
function readOnlyDir(mountPoint: string): { cacheDir: string; prefix: string[]; code: string } {
  mkdirSync(mountPoint, { recursive: true });
  const script = 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"';
  for (const unshare of [
    ["unshare", "-m"],
    ["unshare", "-m", "-r"],
  ]) {
    const prefix = [...unshare, "sh", "-c", script, mountPoint];
    if (spawnSync(prefix[0], [...prefix.slice(1), "true"]).status === 0)
      return { cacheDir: join(mountPoint, "cairn"), prefix, code: "EROFS" };
  }
  writeFileSync(join(mountPoint, "file"), "");
  return { cacheDir: join(mountPoint, "file", "cairn"), prefix: [], code: "ENOTDIR" };
}
