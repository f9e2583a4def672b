/**
 * CronJob mode: `cairn run` and `cairn drill` export the metrics of their one
 * run, to a real Prometheus Pushgateway (Debian's, on a free port) and to a
 * node_exporter textfile. Runs of a job replace each other in one group
 * (grouped by job_name); a failed run leaves the last success in place; the
 * textfile is replaced whole and passes `promtool check metrics`; a bad flag
 * stops before the run; a Pushgateway that does not answer does not fail it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { freePort } from "./helpers/agent-process.js";
import { parseExposition, startPushgateway, type Sample, type Service } from "./helpers/prometheus.js";
import { initWorkspace, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;
let gateway: Service | undefined;
let config = "";
const failFlag = () => join(ws.dir, "fail-next-run");

function writeConfig(file: string, agentExtra = "", cache = ws.cache): string {
  writeFileSync(
    file,
    `repositories:
  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey}, identity_file: ${ws.identity} }
jobs:
  app:
    source: { type: files, paths: [${ws.src}] }
    repositories: [main]
    retry: { attempts: 0 }
    hooks: { before: "test ! -e ${failFlag()}" }
  drill-app: { drill: { job: app, scratch_dir: ${ws.dir} } }
agent:
  cache_dir: ${cache}
${agentExtra}`,
  );
  return file;
}

/** The Pushgateway's samples of one job_name's group (what a Prometheus scraping it with honor_labels gets). */
async function group(jobName: string): Promise<Sample[]> {
  const text = await (await fetch(`${gateway!.url}/metrics`)).text();
  return parseExposition(text).filter((s) => s.labels.job === "cairn" && s.labels.job_name === jobName);
}
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

beforeAll(async () => {
  ws = await initWorkspace("pushgateway");
  writeFileSync(join(ws.src, "a.txt"), "pushed\n".repeat(100));
  config = writeConfig(join(ws.dir, "cairn.yaml"));
  gateway = await startPushgateway(ws.dir);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await ws?.cleanup();
});

describe("cairn run / cairn drill metrics export", () => {
  it("--pushgateway: one group per job, replaced by each run; a failed run keeps the last success", async () => {
    const ok = await runCli(["run", "--config", config, "app", "--pushgateway", gateway!.url]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('"event":"metrics_exported"');
    const first = await group("app");
    const success = value(first, "cairn_job_last_success_timestamp_seconds");
    expect(success).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(value(first, "cairn_job_last_run_success")).toBe(1);
    expect(value(first, "cairn_job_runs_total", { result: "success" })).toBe(1);
    expect(value(first, "cairn_job_info", { kind: "backup" })).toBe(1);
    expect(value(first, "cairn_backup_files_total")).toBeGreaterThan(0);
    expect(first.some((s) => s.name.startsWith("process_") || s.name.startsWith("nodejs_"))).toBe(false);

    // As in a CronJob whose cache is an emptyDir: no state file tells this run of the last success.
    const fresh = writeConfig(join(ws.dir, "fresh.yaml"), "", join(ws.dir, "fresh-cache"));
    writeFileSync(failFlag(), "");
    const failed = await runCli(["run", "--config", fresh, "app", "--pushgateway", gateway!.url]);
    rmSync(failFlag());
    expect(failed.code).toBe(1);
    const second = await group("app");
    expect(value(second, "cairn_job_last_run_success")).toBe(0);
    expect(value(second, "cairn_job_runs_total", { result: "failure" })).toBe(1);
    expect(value(second, "cairn_job_runs_total", { result: "success" })).toBe(0); // replaced, not added up
    expect(value(second, "cairn_job_last_success_timestamp_seconds")).toBe(success);
    const groups = (await (await fetch(`${gateway!.url}/api/v1/metrics`)).json()) as {
      data: { labels: Record<string, string> }[];
    };
    expect(groups.data.filter((g) => g.labels.job_name === "app").map((g) => g.labels)).toEqual([
      { job: "cairn", job_name: "app" },
    ]);
  }, 60_000);

  it("cairn drill --pushgateway pushes the drill's restore time to its own group", async () => {
    const r = await runCli(["drill", "--config", config, "drill-app", "--pushgateway", gateway!.url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const drill = await group("drill-app");
    expect(value(drill, "cairn_drill_duration_seconds")).toBeGreaterThanOrEqual(0);
    expect(value(drill, "cairn_drill_restored_bytes")).toBeGreaterThan(0);
    expect(value(drill, "cairn_job_info", { kind: "drill" })).toBe(1);
    expect(value(await group("app"), "cairn_job_last_run_success")).toBe(0); // the other group is untouched
  }, 60_000);

  it("--metrics-textfile (and agent.metrics_textfile): replaced whole, passes promtool check metrics, no temporary file left", async () => {
    const dir = join(ws.dir, "textfile");
    mkdirSync(dir);
    const file = join(dir, "cairn-app.prom");
    await cliOk(["run", "--config", config, "app", "--metrics-textfile", file]);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^cairn_job_last_run_success\{job_name="app"\} 1$/m);
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`).toBe("");
    expect(check.status).toBe(0);
    expect(readdirSync(dir)).toEqual(["cairn-app.prom"]);

    const fromConfig = join(dir, "cairn-drill.prom");
    const drillConfig = writeConfig(join(ws.dir, "textfile.yaml"), `  metrics_textfile: ${fromConfig}\n`);
    await cliOk(["drill", "--config", drillConfig, "drill-app"]);
    expect(readFileSync(fromConfig, "utf8")).toMatch(/^cairn_drill_restored_bytes\{job_name="drill-app"\} [1-9]/m);
  }, 60_000);

  it("a textfile not named *.prom is refused before the run (exit 2); an unreachable Pushgateway does not fail it", async () => {
    const bad = await runCli(["run", "--config", config, "app", "--metrics-textfile", join(ws.dir, "cairn.txt")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("*.prom");
    expect(bad.stdout).not.toContain("job_started");
    expect(existsSync(join(ws.dir, "cairn.txt"))).toBe(false);

    const down = await runCli([
      "run",
      "--config",
      config,
      "app",
      "--pushgateway",
      `http://127.0.0.1:${await freePort()}`,
    ]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('"event":"metrics_export_failed"');
  }, 60_000);
});
