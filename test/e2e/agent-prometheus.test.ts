/**
 * The agent under a real Prometheus (Debian's package, on a free port, with a
 * config this test writes): Prometheus scrapes a real `cairn agent` every
 * second and evaluates the shipped alert rules (examples/prometheus, with
 * `for: 0s`) every second. The agent's config makes things go wrong on
 * purpose: a job backs up into a directory that holds no repository, a drill
 * restores from there, and a job's max_age is 1 ms. The test waits on
 * Prometheus's /api/v1/alerts until each alert fires (never a fixed sleep).
 * The same scrape shows the labels as Prometheus stores them (the scrape's
 * `job`, our `job_name`, no `exported_job`), passes `promtool check metrics`,
 * and holds every metric the Grafana dashboard queries.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk } from "./helpers/run-cli.js";
import { freePort, startAgent, until, type AgentProcess } from "./helpers/agent-process.js";
import { startPrometheus, type Service } from "./helpers/prometheus.js";
import { dashboardExprs, metricNames, readRules, ruleExprs } from "../helpers/example-queries.js";

const dir = mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), "cairn-agent-prom-"));
let agent: AgentProcess | undefined;
let prometheus: Service | undefined;
let agentPort = 0;

/** Prometheus's firing alerts, as `name{label=value,...}` for the labels that say what each is about. */
async function firing(): Promise<string[]> {
  const body = (await (await fetch(`${prometheus!.url}/api/v1/alerts`)).json()) as {
    data: { alerts: { state: string; labels: Record<string, string> }[] };
  };
  return body.data.alerts
    .filter((a) => a.state === "firing")
    .map(
      ({ labels: l }) =>
        `${l.alertname}{${["job_name", "repository"].flatMap((k) => (l[k] ? [`${k}=${l[k]}`] : [])).join(",")}}`,
    );
}

async function query(q: string): Promise<{ metric: Record<string, string> }[]> {
  const r = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await r.json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result;
}

function agentConfig(): string {
  const key = join(dir, "agent.key");
  const id = join(dir, "id.txt");
  return `repositories:
  main: { url: ${join(dir, "repo")}, agent_key_file: ${key}, identity_file: ${id} }
  mirror: { url: ${join(dir, "mirror")} }
  broken: { url: ${join(dir, "not-a-repo")}, agent_key_file: ${key}, identity_file: ${id} }
jobs:
  good:
    source: { type: files, paths: [${join(dir, "data")}] }
    repositories: [main]
    run_on_start: true
    max_age: 1ms
    retention: { keep_last: 3 }
  bad:
    source: { type: files, paths: [${join(dir, "data")}] }
    repositories: [broken]
    run_on_start: true
    retry: { attempts: 0 }
  drill-good: { drill: { job: good, scratch_dir: ${dir} }, schedule: "*/2 * * * * *" }
  drill-bad: { drill: { job: bad, scratch_dir: ${dir} }, run_on_start: true }
  copy: { sync: { from: main, to: mirror }, schedule: "*/3 * * * * *" }
agent:
  listen: 127.0.0.1:${agentPort}
  cache_dir: ${join(dir, "cache")}
  prune: { schedule: "*/2 * * * * *", repositories: [main], grace: 0s }
`;
}

/** The shipped rules with every `for:` at 0s, so an alert fires on the first evaluation that finds its condition. */
function testRules(): string {
  const rules = readRules();
  for (const r of rules.groups.flatMap((g) => g.rules)) r.for = "0s";
  return stringify(rules);
}

beforeAll(async () => {
  for (const d of ["data", "mirror", "not-a-repo"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "data", "a.txt"), "some data\n".repeat(100));
  const recipient = (await cliOk(["key", "generate", "--output", join(dir, "id.txt")])).stdout.trim();
  await cliOk([
    "init",
    "--repo",
    join(dir, "repo"),
    "--recipient",
    recipient,
    "--agent-key-file",
    join(dir, "agent.key"),
  ]);
  agentPort = await freePort();
  writeFileSync(join(dir, "cairn.yaml"), agentConfig());
  writeFileSync(join(dir, "rules.yml"), testRules());
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [join(dir, "rules.yml")],
      scrape_configs: [{ job_name: "cairn", static_configs: [{ targets: [`127.0.0.1:${agentPort}`] }] }],
    }),
  );
  agent = startAgent(join(dir, "cairn.yaml"), {});
  await until(() => agent!.lines.find((l) => l.event === "agent_started"), "the agent to start");
  prometheus = await startPrometheus(join(dir, "prometheus.yml"), dir);
}, 60_000);

afterAll(async () => {
  agent?.child.kill("SIGTERM");
  await agent?.exited;
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("cairn agent under a real Prometheus", () => {
  it("the shipped alerts fire: backup failing, repository unreachable, snapshot older than max_age, drill failing", async () => {
    const expected = [
      "CairnBackupFailing{job_name=bad}",
      "CairnRepositoryUnreachable{repository=broken}",
      "CairnSnapshotTooOld{job_name=good,repository=main}",
      "CairnDrillFailing{job_name=drill-bad}",
    ];
    let last: string[] = [];
    await until(
      async () => ((last = await firing()), expected.every((a) => last.includes(a))),
      "the alerts to fire",
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; firing: ${last.join(" ")}`);
    });
    expect(last).not.toContain("CairnBackupFailing{job_name=good}");
    // The agent stays ready through all of it: readiness is not about storage.
    expect((await fetch(`http://127.0.0.1:${agentPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${agentPort}/healthz`)).status).toBe(200);
  }, 120_000);

  it("Prometheus stores job as its scrape job and job_name as ours: no exported_job", async () => {
    const series = await until(async () => {
      const r = await query("cairn_job_runs_total");
      return r.length > 0 && r;
    }, "cairn_job_runs_total in Prometheus");
    for (const s of series) {
      expect(s.metric.job).toBe("cairn");
      expect(s.metric.job_name).toMatch(/^(good|bad|drill-good|drill-bad|copy)$/);
      expect(s.metric).not.toHaveProperty("exported_job");
    }
    const build = await query("cairn_build_info");
    expect(build[0]?.metric).toMatchObject({ job: "cairn", node_version: process.version });
  }, 60_000);

  it("a live scrape passes `promtool check metrics` (bar three of prom-client's standard Node gauges named *_total)", async () => {
    const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(r.error).toBeUndefined();
    const findings = `${r.stdout}${r.stderr}`
      .split("\n")
      .filter(Boolean)
      .filter(
        (l) =>
          !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(
            l,
          ),
      );
    expect(findings).toEqual([]);
  }, 30_000);

  it("every metric the dashboard and the alert rules query is in Prometheus, with samples", async () => {
    const wanted = [...new Set([...dashboardExprs(), ...ruleExprs()].flatMap(metricNames))];
    let missing: string[] = wanted;
    await until(
      async () => {
        const r = await fetch(`${prometheus!.url}/api/v1/label/__name__/values`);
        const names = new Set(((await r.json()) as { data: string[] }).data);
        missing = wanted.filter((n) => !names.has(n));
        return missing.length === 0;
      },
      "every queried metric to have samples",
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; missing: ${missing.join(", ")}`);
    });
    expect(wanted.length).toBeGreaterThan(20);
  }, 120_000);
});
