import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runJob, type RunContext } from "../../src/agent/job-runner.js";
import { createLogger } from "../../src/agent/logger.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import { readState } from "../../src/agent/state-file.js";
import type { AgentConfig } from "../../src/config/agent-config.js";
import { parseConfig } from "../../src/config/load-config.js";
import { makeRepo, useWorkDir, type TestRepo } from "../pipeline/helpers/repo.js";
import { startPingServer, type PingServer } from "../helpers/ping-server.js";

const work = useWorkDir("agent-run");

describe("runJob", () => {
  let dir: string;
  let t: TestRepo;
  let ping: PingServer;
  let keyText: string;
  beforeAll(async () => {
    dir = work();
    await mkdir(join(dir, "data"), { recursive: true });
    await writeFile(join(dir, "data", "a.txt"), "first");
    t = await makeRepo(dir);
    keyText = t.agentKey.toFileContents();
    ping = await startPingServer((path) => (path.includes("broken") ? 500 : 200));
  });
  afterAll(() => ping.close());

  function setup(
    jobBody: string,
    onLog: (line: string) => void = () => undefined,
  ): { config: AgentConfig; ctx: RunContext; logs: () => string; metrics: AgentMetrics } {
    const yaml = `repositories:\n  local:\n    url: ${join(dir, "repo")}\n    agent_key: \${KEY}\njobs:\n  app:\n    source: { type: files, paths: [${join(dir, "data")}] }\n    repositories: [local]\n${jobBody}agent:\n  cache_dir: ${join(dir, "cache")}\n`;
    const config = parseConfig(yaml, "test.yaml", { KEY: keyText });
    let text = "";
    const sink = new Writable({
      write: (c: Buffer, _e, cb) => {
        text += c.toString();
        onLog(c.toString());
        cb();
      },
    });
    const metrics = new AgentMetrics();
    const ctx: RunContext = {
      config,
      cacheRoot: join(dir, "cache"),
      log: createLogger("debug", sink),
      metrics,
      signal: new AbortController().signal,
      stateFile: join(dir, "cache", "state.json"),
      trigger: "manual",
    };
    return { config, ctx, logs: () => text, metrics };
  }

  it("backs up, applies retention, records state and metrics, pings on success, logs one summary line and no secret", async () => {
    const { config, ctx, logs, metrics } = setup(
      `    retention: { keep_last: 1 }\n    notify: { on_success: "${ping.url}/ok/token123", on_failure: "${ping.url}/fail" }\n    hooks: { after: "echo after \\"$CAIRN_JOB\\" $CAIRN_RESULT" }\n`,
    );
    const first = await runJob(config.jobs.app, ctx);
    await writeFile(join(dir, "data", "a.txt"), "second");
    const second = await runJob(config.jobs.app, ctx);
    expect([first.result, second.result]).toEqual(["success", "success"]);
    const repo = await t.writer();
    const snaps = await repo.listSnapshots();
    expect(snaps.map((s) => s.id)).toEqual([second.snapshots?.local]); // keep_last 1 removed the first
    const state = await readState(ctx.stateFile);
    expect(state.jobs.app.lastRun?.snapshots?.local).toBe(second.snapshots?.local);
    expect(await metrics.registry.getSingleMetricAsString("cairn_job_runs_total")).toContain(
      'cairn_job_runs_total{job_name="app",result="success"} 2',
    );
    expect(await metrics.registry.getSingleMetricAsString("cairn_retention_snapshots_removed_total")).toContain("} 1");
    expect(await metrics.registry.getSingleMetricAsString("cairn_backup_chunks_new_total")).toMatch(
      /\{job_name="app"\} [1-9]/,
    );
    expect(ping.pings.filter((p) => p.path === "/ok/token123").map((p) => p.body.result)).toEqual([
      "success",
      "success",
    ]);
    const summaries = logs()
      .split("\n")
      .filter((l) => l.includes('"event":"job_run"'));
    expect(summaries).toHaveLength(2);
    expect(logs()).toContain('"output":"after app success"');
    expect(logs()).not.toContain("AGE-SECRET-KEY");
    expect(logs()).not.toContain("token123"); // ping URLs are logged without their path tokens
  });

  it("a failing before hook fails the run with no snapshot; it is retried, then on_failure runs and the failure URL is pinged", async () => {
    const { config, ctx, logs } = setup(
      `    hooks: { before: "echo not today >&2; exit 3", on_failure: "echo failed: $CAIRN_ERROR" }\n    retry: { attempts: 1, backoff: 10ms }\n    notify: { on_success: "${ping.url}/ok", on_failure: "${ping.url}/fail" }\n`,
    );
    const before = (await (await t.writer()).listSnapshots()).length;
    const out = await runJob(config.jobs.app, ctx);
    expect(out.result).toBe("failure");
    expect(out.attempts).toBe(2);
    expect(out.error).toContain("before hook failed");
    expect((await (await t.writer()).listSnapshots()).length).toBe(before);
    expect(logs()).toContain('"output":"not today"');
    expect(logs()).toContain("failed: the before hook failed");
    expect(ping.pings.at(-1)).toMatchObject({ path: "/fail", body: { job: "app", result: "failure" } });
    expect((await readState(ctx.stateFile)).jobs.app.lastRun?.result).toBe("failure");
  });

  it("no retry is made that would start after the next slot", async () => {
    const { config, ctx } = setup(`    hooks: { before: "exit 1" }\n    retry: { attempts: 5, backoff: 1h }\n`);
    const out = await runJob(config.jobs.app, { ...ctx, deadline: Date.now() + 60_000 });
    expect(out.attempts).toBe(1);
  });

  it("a hook that outlives its timeout is killed and fails the run; a notification that fails does not", async () => {
    const { config, ctx, logs } = setup(
      `    hooks: { before: "sleep 30", timeout: 200ms }\n    retry: { attempts: 0 }\n`,
    );
    const out = await runJob(config.jobs.app, ctx);
    expect(out.result).toBe("failure");
    expect(logs()).toContain("timed out after 0.2 s");
    const ok = setup(`    notify: { on_success: "${ping.url}/broken", timeout: 2s }\n`);
    const okOut = await runJob(ok.config.jobs.app, ok.ctx);
    expect(okOut.result).toBe("success");
    expect(ok.logs()).toContain("answered HTTP 500");
  });

  it("runs a non-files source through createSource; the command's stderr is logged with the job", async () => {
    const yaml = `repositories:\n  local:\n    url: ${join(dir, "repo")}\n    agent_key: \${KEY}\njobs:\n  db:\n    source: { type: dump, command: "echo dumped; echo progress-note >&2", shell: true, name: db.sql }\n    repositories: [local]\n`;
    const { ctx, logs } = setup("");
    const config = parseConfig(yaml, "t.yaml", { KEY: keyText });
    const out = await runJob(config.jobs.db, { ...ctx, config });
    expect(out.result, out.error).toBe("success");
    expect(logs()).toMatch(/"job":"db","event":"source_output".*progress-note/);
    const snap = (await (await t.writer()).listSnapshots()).find((s) => s.id === out.snapshots?.local);
    expect(snap).toBeDefined();
  });

  it("backs up into each of the job's repositories (3-2-1), each with its own key", async () => {
    const other = await makeRepo(join(dir, "second"));
    const yaml = `repositories:\n  local:\n    url: ${join(dir, "repo")}\n    agent_key: \${KEY}\n  second:\n    url: ${join(dir, "second", "repo")}\n    agent_key: \${KEY2}\njobs:\n  both:\n    source: { type: files, paths: [${join(dir, "data")}] }\n    repositories: [local, second]\n`;
    const { ctx } = setup("");
    const config = parseConfig(yaml, "t.yaml", { KEY: keyText, KEY2: other.agentKey.toFileContents() });
    const out = await runJob(config.jobs.both, { ...ctx, config });
    expect(out.result, out.error).toBe("success");
    expect(Object.keys(out.snapshots ?? {})).toEqual(["local", "second"]);
    expect((await (await other.writer()).listSnapshots()).map((s) => s.id)).toEqual([out.snapshots?.second]);
  });

  it("a missing agent key file fails the run naming the config key", async () => {
    const yaml = `repositories:\n  local:\n    url: ${join(dir, "repo")}\n    agent_key_file: ${join(dir, "no-such-key")}\njobs:\n  app:\n    source: { type: files, paths: [${join(dir, "data")}] }\n    repositories: [local]\n    retry: { attempts: 0 }\n`;
    const { ctx } = setup("");
    const config = parseConfig(yaml, "t.yaml", {});
    const out = await runJob(config.jobs.app, { ...ctx, config });
    expect(out.error).toContain("repositories.local.agent_key_file: cannot read");
    expect(JSON.parse(await readFile(ctx.stateFile, "utf8")).jobs.app.lastRun.result).toBe("failure");
  });

  it("a retry waiting when the agent starts to stop ends at once: no further attempt, the run fails as abandoned", async () => {
    const stopping = new AbortController();
    const { config, ctx } = setup(
      `    hooks: { before: "exit 1" }\n    retry: { attempts: 3, backoff: 1h }\n`,
      (line) => {
        if (line.includes('"event":"retry_wait"')) stopping.abort(); // SIGTERM arrives while the run waits
      },
    );
    const out = await runJob(config.jobs.app, { ...ctx, stopping: stopping.signal });
    expect(out).toMatchObject({ result: "failure", attempts: 1 });
    expect(out.error).toMatch(/^abandoned at shutdown: the before hook failed/);
  });

  it("a hook still running when the run is aborted is killed with its process group", async () => {
    const started = join(dir, "hook-started");
    const abort = new AbortController();
    const { config, ctx, logs } = setup(
      `    hooks: { before: "touch ${started}; sleep 30" }\n    retry: { attempts: 0 }\n`,
    );
    const run = runJob(config.jobs.app, { ...ctx, signal: abort.signal });
    while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    expect((await run).result).toBe("failure");
    expect(logs()).toContain("hook before failed (killed: the run was aborted)");
  });
});
