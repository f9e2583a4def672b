/**
 * RPO at a glance: the age of each backup job's newest snapshot per
 * repository on /metrics, and one alert (notify.on_stale, else on_failure)
 * when it passes the job's max_age, with a fake clock and listing; then the
 * real listing on a local repository and the agent publishing the age.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { freePort } from "../e2e/helpers/agent-process.js";
import { runJob } from "../../src/agent/job-runner.js";
import { createLogger } from "../../src/agent/logger.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import { SnapshotAgeWatch } from "../../src/agent/snapshot-age-watch.js";
import { listNewestSnapshots, type NewestSnapshot } from "../../src/agent/snapshot-ages.js";
import { parseConfig } from "../../src/config/load-config.js";
import { makeRepo, useWorkDir } from "../pipeline/helpers/repo.js";
import { startPingServer, type Ping, type PingServer } from "../helpers/ping-server.js";

const work = useWorkDir("snapshot-age");
const HOUR = 3_600_000;

let server: PingServer;
let url: string;
let pings: Ping[];

beforeAll(async () => {
  server = await startPingServer();
  ({ url, pings } = server);
});
afterAll(() => server.close());

function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = "";
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  return { log: createLogger("info", sink), text: () => text };
}

describe("SnapshotAgeWatch (fake clock)", () => {
  const yaml = () => `repositories:
  a: { url: /nonexistent/a, agent_key: k }
  b: { url: /nonexistent/b, agent_key: k }
jobs:
  web:
    source: { type: files, paths: [/srv/web] }
    repositories: [a, b]
    max_age: 26h
    notify: { on_failure: "${url}/fail", on_stale: "${url}/stale" }
  db:
    source: { type: files, paths: [/srv/db] }
    repositories: [a]
    max_age: 1h
    notify: { on_failure: "${url}/db-fail" }
  nolimit:
    source: { type: files, paths: [/srv/x] }
    repositories: [a]
`;

  it("publishes ages, alerts once past max_age (on_stale, else on_failure), again only after a fresh snapshot", async () => {
    const config = parseConfig(yaml(), "t.yaml", {});
    let now = Date.parse("2026-03-01T12:00:00Z");
    let listing: NewestSnapshot[] = [
      { job: "web", repository: "a", snapshot: "aa11", time: "2026-03-01T11:00:00Z" },
      { job: "web", repository: "b", snapshot: "bb11", time: "2026-02-28T00:00:00Z" },
      { job: "db", repository: "a", error: "connection refused" },
      { job: "nolimit", repository: "a", snapshot: "cc11", time: "2026-01-01T00:00:00Z" },
    ];
    const metrics = new AgentMetrics();
    const { log, text } = capture();
    const watch = new SnapshotAgeWatch(
      metrics,
      log,
      () => now,
      async () => listing,
    );
    await watch.refresh(config);
    await watch.check(config);
    const gauge = await metrics.registry.getSingleMetricAsString("cairn_snapshot_age_seconds");
    expect(gauge).toContain('cairn_snapshot_age_seconds{job_name="web",repository="a"} 3600');
    expect(gauge).toContain('cairn_snapshot_age_seconds{job_name="web",repository="b"} 129600');
    expect(gauge).toContain('cairn_snapshot_age_seconds{job_name="nolimit",repository="a"}');
    expect(gauge).not.toContain('job_name="db"'); // never listed: no age to show
    // web in b is 36 h old, over its 26 h: one alert, to on_stale.
    expect(pings).toEqual([
      {
        path: "/stale",
        body: expect.objectContaining({
          job: "web",
          event: "stale",
          repository: "b",
          age_s: 129600,
          max_age_s: 93600,
          snapshot: "bb11",
        }),
      },
    ]);
    expect(text()).toContain('"event":"snapshot_stale"');

    now += 10 * 60_000;
    await watch.check(config);
    expect(pings).toHaveLength(1); // still stale: not alerted again

    // db was never listed; one hour after the watch started, having no snapshot is stale: alert to on_failure.
    now += HOUR;
    await watch.check(config);
    expect(pings.slice(1)).toEqual([
      {
        path: "/db-fail",
        body: expect.objectContaining({ job: "db", event: "stale", repository: "a", snapshot: null }),
      },
    ]);

    // A new snapshot in b: fresh again (logged); when it too grows old, a new alert.
    listing = [{ job: "web", repository: "b", snapshot: "bb22", time: new Date(now).toISOString() }];
    await watch.refresh(config, ["web"]);
    await watch.check(config);
    expect(text()).toContain('"event":"snapshot_fresh"');
    expect(pings).toHaveLength(2);
    now += 27 * HOUR;
    await watch.check(config);
    expect(pings.at(-1)).toMatchObject({ path: "/stale", body: { job: "web", repository: "b", snapshot: "bb22" } });
    // A failed listing keeps the last known time, so the age keeps growing.
    listing = [{ job: "web", repository: "a", error: "timeout" }];
    await watch.refresh(config, ["web"]);
    await watch.check(config);
    expect(await metrics.registry.getSingleMetricAsString("cairn_snapshot_age_seconds")).toMatch(
      /\{job_name="web",repository="a"\} 10\d{4}/,
    );
  });
});

describe("snapshot ages from a real repository", () => {
  it("lists each job's newest snapshot, and the agent publishes its age on /metrics", async () => {
    const dir = work();
    await mkdir(join(dir, "data"), { recursive: true });
    await writeFile(join(dir, "data", "a.txt"), "hello");
    const t = await makeRepo(dir);
    const config = parseConfig(
      `repositories:\n  local: { url: ${join(dir, "repo")}, agent_key: "\${KEY}" }\njobs:\n  app:\n    source: { type: files, paths: [${join(dir, "data")}] }\n    repositories: [local]\n    max_age: 1d\n  idle:\n    source: { type: files, paths: [${join(dir, "none")}] }\n    repositories: [local]\nagent:\n  listen: 127.0.0.1:${await freePort()}\n  cache_dir: ${join(dir, "cache")}\n`,
      join(dir, "cairn.yaml"),
      { KEY: t.agentKey.toFileContents() },
    );
    const { log } = capture();
    const run = await runJob(config.jobs.app, {
      config,
      cacheRoot: join(dir, "cache"),
      log,
      signal: new AbortController().signal,
      stateFile: join(dir, "cache", "s.json"),
      trigger: "manual",
    });
    const newest = await listNewestSnapshots(config);
    expect(newest).toEqual([
      { job: "app", repository: "local", snapshot: run.snapshots?.local, time: expect.any(String) },
      { job: "idle", repository: "local", snapshot: undefined, time: undefined },
    ]);
    const agent = new Agent(config, log);
    await agent.start();
    try {
      let text = "";
      for (let i = 0; i < 100 && !text.includes('job_name="app"'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = await agent.metrics.registry.getSingleMetricAsString("cairn_snapshot_age_seconds");
      }
      expect(text).toMatch(/cairn_snapshot_age_seconds\{job_name="app",repository="local"\} \d/);
    } finally {
      await agent.shutdown("test");
    }
  });
});
