/**
 * A drill job run by the agent's job runner (in process, local repository):
 * a files drill restores and verifies the newest snapshot of its job, sets
 * the drill metrics, records the state and removes its temporary directory;
 * a drill of a snapshot whose data pack is damaged fails, names the pack in
 * the log, the state file and the failure notification, and still cleans up.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { freePort } from "../e2e/helpers/agent-process.js";
import { runJob, type RunContext } from "../../src/agent/job-runner.js";
import { createLogger } from "../../src/agent/logger.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import { readState } from "../../src/agent/state-file.js";
import type { AgentConfig } from "../../src/config/agent-config.js";
import { parseConfig } from "../../src/config/load-config.js";
import { flipBit, objectsOfKind } from "../e2e/helpers/damage-repo.js";
import { makeRepo, useWorkDir, type TestRepo } from "../pipeline/helpers/repo.js";
import { startPingServer, type PingServer } from "../helpers/ping-server.js";
import { listTree } from "../../src/restore/list-tree.js";
import type { Repository } from "../../src/repository/repository.js";
import type { BlobId } from "../../src/core/ids.js";

async function listTreeFiles(r: Repository, tree: BlobId) {
  const out = [];
  for await (const e of listTree(r, tree)) if (e.node.type === "file") out.push(e);
  return out;
}

const work = useWorkDir("agent-drill");

describe("drill jobs in the agent", () => {
  let dir: string;
  let pings: PingServer;
  let config: AgentConfig;
  let ctx: RunContext;
  let logs = "";
  let metrics: AgentMetrics;
  let t: TestRepo;
  let out0Snapshot: string | undefined;
  const scratch = () => readdir(join(dir, "scratch"));

  beforeAll(async () => {
    dir = work();
    const data = join(dir, "data");
    await mkdir(join(data, "sub"), { recursive: true });
    for (let i = 0; i < 12; i++)
      await writeFile(join(data, i % 2 ? "sub" : "", `f${i}.txt`), `file ${i} `.repeat(2000 + i * 300));
    await mkdir(join(dir, "scratch"));
    t = await makeRepo(dir);
    await writeFile(join(dir, "id.txt"), `${t.identity.toString()}\n`);
    pings = await startPingServer();
    const yaml = `repositories:
  local: { url: ${join(dir, "repo")}, agent_key: "\${KEY}", identity_file: ${join(dir, "id.txt")} }
jobs:
  app:
    source: { type: files, paths: [${data}] }
    repositories: [local]
  other:
    source: { type: files, paths: [${join(dir, "scratch")}] }
    repositories: [local]
  drill-app:
    drill: { job: app, scratch_dir: ${join(dir, "scratch")} }
    notify: { on_failure: "${pings.url}/fail", on_success: "${pings.url}/ok" }
  drill-sample:
    drill: { job: app, sample: 3, scratch_dir: ${join(dir, "scratch")} }
`;
    config = parseConfig(yaml, "t.yaml", { KEY: t.agentKey.toFileContents() });
    metrics = new AgentMetrics();
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((logs += c.toString()), cb()) });
    ctx = {
      config,
      cacheRoot: join(dir, "cache"),
      log: createLogger("debug", sink),
      metrics,
      signal: new AbortController().signal,
      stateFile: join(dir, "cache", "state.json"),
      trigger: "manual",
    };
    const first = await runJob(config.jobs.app, ctx);
    expect(first.result).toBe("success");
    out0Snapshot = first.snapshots?.local;
    // A later snapshot of another job in the same repository: the drill must still pick app's.
    expect((await runJob(config.jobs.other, ctx)).result).toBe("success");
  });
  afterAll(() => pings.close());

  it("restores the job's newest snapshot, verifies it, reports metrics and state, and leaves no temporary directory", async () => {
    const out = await runJob(config.jobs["drill-app"], ctx);
    expect(out.result, out.error).toBe("success");
    expect(out.drill).toMatchObject({ job: "app", repository: "local", mode: "files", files: 12 });
    expect(out.drill?.snapshot).toBe((await readState(ctx.stateFile)).jobs.app.lastRun?.snapshots?.local);
    const bytes = out.drill?.restoredBytes ?? 0;
    expect(bytes).toBeGreaterThan(12 * 2000 * 7);
    expect(await scratch()).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/cairn_drill_last_success_timestamp_seconds\{job_name="drill-app"\} \d{10}/);
    expect(text).toMatch(/cairn_drill_duration_seconds\{job_name="drill-app"\} \d/);
    expect(text).toContain(`cairn_drill_restored_bytes{job_name="drill-app"} ${bytes}`);
    const state = await readState(ctx.stateFile);
    expect(state.jobs["drill-app"].lastRun).toMatchObject({
      result: "success",
      drill: { job: "app", restoredBytes: bytes },
    });
    expect(logs).toMatch(/"event":"job_run".*"drilled_job":"app".*"restored_bytes":\d+/);
    expect(pings.pings.at(-1)).toMatchObject({
      path: "/ok",
      body: { job: "drill-app", result: "success", drilled_job: "app" },
    });
  });

  it("a sample drill restores only that many files", async () => {
    const out = await runJob(config.jobs["drill-sample"], ctx);
    expect(out.result, out.error).toBe("success");
    expect(out.drill?.files).toBe(3);
    expect(await scratch()).toEqual([]);
  });

  it("the agent runs a drill job on its schedule (here: run_on_start) and its metrics are on /metrics", async () => {
    const yaml = `repositories:\n  local: { url: ${join(dir, "repo")}, agent_key: "\${KEY}", identity_file: ${join(dir, "id.txt")} }\njobs:\n  app:\n    source: { type: files, paths: [${join(dir, "data")}] }\n    repositories: [local]\n  nightly-drill:\n    drill: { job: app, sample: 2, scratch_dir: ${join(dir, "scratch")} }\n    run_on_start: true\nagent:\n  listen: 127.0.0.1:${await freePort()}\n  cache_dir: ${join(dir, "agent-cache")}\n`;
    const agentConfig = parseConfig(yaml, join(dir, "agent.yaml"), { KEY: t.agentKey.toFileContents() });
    const agent = new Agent(agentConfig, createLogger("warn", new Writable({ write: (_c, _e, cb) => cb() })));
    await agent.start();
    try {
      let text = "";
      for (let i = 0; i < 200 && !text.includes('cairn_drill_restored_bytes{job_name="nightly-drill"}'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = await agent.metrics.registry.metrics(); // what /metrics serves
      }
      expect(text).toMatch(/cairn_drill_last_success_timestamp_seconds\{job_name="nightly-drill"\} \d{10}/);
      expect(text).toMatch(/cairn_drill_duration_seconds\{job_name="nightly-drill"\} \d/);
      expect(text).toMatch(/cairn_drill_restored_bytes\{job_name="nightly-drill"\} [1-9]\d*/);
      expect(text).toContain('cairn_job_runs_total{job_name="nightly-drill",result="success"} 1');
    } finally {
      await agent.shutdown("test");
    }
    expect(await scratch()).toEqual([]);
  });

  it("a damaged data pack fails the drill, once, naming the pack in the notification, log and state; the temporary directory is removed", async () => {
    // The pack holding f0.txt's first chunk: a pack the drilled snapshot needs.
    const reader = await t.reader();
    const snap = (await reader.listSnapshots()).find((x) => x.id === out0Snapshot)!;
    const dataDir = (await listTreeFiles(reader, snap.tree)).find((n) => n.path.endsWith("/data/f0.txt"))!;
    const index = (await reader.maintenance().loadIndex()).blobs;
    const loc = index.get(dataDir.node.content![0])!;
    const pack = index.pack(loc.packIndex);
    const damagedKey = `data/${pack.id.slice(0, 2)}/${pack.id}`;
    expect(objectsOfKind(join(dir, "repo"), "data pack")).toContain(damagedKey);
    flipBit(join(dir, "repo"), damagedKey);
    const before = (
      await metrics.registry.getSingleMetricAsString("cairn_drill_last_success_timestamp_seconds")
    ).trim();
    const out = await runJob(config.jobs["drill-app"], ctx);
    expect(out.result).toBe("failure");
    expect(out.attempts).toBe(1);
    const damaged = out.drill?.damagedObject;
    expect(damaged).toBe(damagedKey);
    expect(out.error).toContain(`damaged object ${damaged}`);
    const fail = pings.pings.at(-1);
    expect(fail).toMatchObject({
      path: "/fail",
      body: { job: "drill-app", result: "failure", drilled_job: "app", damaged_object: damaged },
    });
    expect(String(fail?.body.error)).toContain(damaged);
    expect((await readState(ctx.stateFile)).jobs["drill-app"].lastRun?.drill?.damagedObject).toBe(damaged);
    expect(logs).toContain(`job drill-app failed: drill of app from local`);
    expect(await scratch()).toEqual([]);
    // The metrics describe the last successful drill: a failure leaves them alone.
    expect((await metrics.registry.getSingleMetricAsString("cairn_drill_last_success_timestamp_seconds")).trim()).toBe(
      before,
    );
    expect(await readFile(join(dir, "data", "f0.txt"), "utf8")).toMatch(/^file 0 /); // live data untouched
  });
});
