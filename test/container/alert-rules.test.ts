import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import {
  EXAMPLES,
  dashboardExprs,
  metricNames,
  readDashboard,
  readRules,
  ruleExprs,
  type RuleGroups,
} from "../helpers/example-queries.js";

/**
 * The alert rules and the dashboard shipped in examples/: the rules file and
 * the PrometheusRule hold the same rules; `promtool` (Debian's prometheus
 * package, which .ci/run installs) checks them, runs unit tests of every alert
 * on made-up series (the 8-day thresholds included, which a live test cannot
 * wait for), and checks the example scrape config. Every metric the rules and
 * the dashboard query is one the agent exports (test/e2e/agent-prometheus.test.ts
 * checks them against a live scrape too).
 */
const scratch = mkdtempSync(join(tmpdir(), "cairn-alert-rules-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const rulesFile = join(EXAMPLES, "prometheus", "cairn-alerts.yml");
const rules = readRules();
const operatorRule = parse(readFileSync(join(EXAMPLES, "kubernetes", "prometheus-rule.yaml"), "utf8")) as {
  kind: string;
  spec: RuleGroups;
};
const dashboard = readDashboard();

function promtool(args: string[], cwd?: string): { code: number; out: string } {
  const r = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`promtool: ${r.error.message} (apt-get install prometheus; .ci/run does)`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const at = (i: string, name: string) => `{instance="${i}",job="cairn",job_name="${name}"}`;

/** promtool unit tests: one group per alert family; `exp_alerts: []` where it must stay silent. */
const unitTests = {
  rule_files: ["rules.yml"],
  evaluation_interval: "1m",
  tests: [
    {
      interval: "1m",
      input_series: [
        { series: `cairn_job_last_run_success${at("a:1", "app")}`, values: "0x30" },
        { series: `cairn_job_info${at("a:1", "app").replace("}", ',kind="backup"}')}`, values: "1x30" },
        { series: `cairn_job_last_run_success${at("a:1", "ok")}`, values: "1x30" },
        { series: `cairn_job_info${at("a:1", "ok").replace("}", ',kind="backup"}')}`, values: "1x30" },
        { series: `cairn_job_last_run_success${at("a:1", "drill-app")}`, values: "0x30" },
        { series: `cairn_job_info${at("a:1", "drill-app").replace("}", ',kind="drill"}')}`, values: "1x30" },
        {
          series: `cairn_snapshot_age_seconds${at("a:1", "app").replace("}", ',repository="main"}')}`,
          values: "7300x30",
        },
        {
          series: `cairn_snapshot_age_seconds${at("a:1", "app").replace("}", ',repository="fresh"}')}`,
          values: "60x30",
        },
        { series: `cairn_job_max_age_seconds${at("a:1", "app")}`, values: "7200x30" },
        { series: 'cairn_repository_reachable{instance="a:1",job="cairn",repository="main"}', values: "0x30" },
        { series: 'cairn_repository_reachable{instance="a:1",job="cairn",repository="offsite"}', values: "1x30" },
      ],
      alert_rule_test: [
        { eval_time: "4m", alertname: "CairnBackupFailing", exp_alerts: [] },
        {
          eval_time: "20m",
          alertname: "CairnBackupFailing",
          exp_alerts: [{ exp_labels: { severity: "critical", instance: "a:1", job: "cairn", job_name: "app" } }],
        },
        {
          eval_time: "20m",
          alertname: "CairnDrillFailing",
          exp_alerts: [{ exp_labels: { severity: "critical", instance: "a:1", job: "cairn", job_name: "drill-app" } }],
        },
        {
          eval_time: "20m",
          alertname: "CairnSnapshotTooOld",
          exp_alerts: [
            {
              exp_labels: { severity: "critical", instance: "a:1", job: "cairn", job_name: "app", repository: "main" },
            },
          ],
        },
        { eval_time: "14m", alertname: "CairnRepositoryUnreachable", exp_alerts: [] },
        {
          eval_time: "20m",
          alertname: "CairnRepositoryUnreachable",
          exp_alerts: [{ exp_labels: { severity: "warning", instance: "a:1", job: "cairn", repository: "main" } }],
        },
      ],
    },
    {
      // Days: a stale drill and prune, one that never succeeded on an agent up 9 days, none on an agent up half a day.
      interval: "1m", // samples every minute: PromQL looks back 5 minutes for a sample
      input_series: [
        { series: `cairn_drill_last_success_timestamp_seconds${at("a:1", "weekly")}`, values: "0x13000" },
        { series: `cairn_drill_last_success_timestamp_seconds${at("a:1", "fresh")}`, values: "0+60x13000" },
        { series: `cairn_job_info${at("a:1", "never").replace("}", ',kind="drill"}')}`, values: "1x13000" },
        { series: `cairn_job_info${at("b:1", "young").replace("}", ',kind="drill"}')}`, values: "1x13000" },
        { series: 'process_start_time_seconds{instance="a:1",job="cairn"}', values: "0x13000" },
        { series: 'process_start_time_seconds{instance="b:1",job="cairn"}', values: "734400x13000" },
        {
          series: 'cairn_prune_last_success_timestamp_seconds{instance="a:1",job="cairn",repository="main"}',
          values: "0x13000",
        },
        {
          series: 'cairn_prune_runs_total{instance="a:1",job="cairn",repository="other",result="success"}',
          values: "0x13000",
        },
        {
          series: 'cairn_prune_runs_total{instance="b:1",job="cairn",repository="main",result="success"}',
          values: "0x13000",
        },
      ],
      alert_rule_test: [
        { eval_time: "7d", alertname: "CairnDrillOverdue", exp_alerts: [] },
        {
          eval_time: "9d",
          alertname: "CairnDrillOverdue",
          exp_alerts: [
            { exp_labels: { severity: "warning", instance: "a:1", job: "cairn", job_name: "weekly" } },
            { exp_labels: { severity: "warning", instance: "a:1", job: "cairn", job_name: "never", kind: "drill" } },
          ],
        },
        {
          eval_time: "9d",
          alertname: "CairnPruneNotRun",
          exp_alerts: [
            { exp_labels: { severity: "warning", instance: "a:1", job: "cairn", repository: "main" } },
            {
              exp_labels: {
                severity: "warning",
                instance: "a:1",
                job: "cairn",
                repository: "other",
              },
            },
          ],
        },
      ],
    },
  ],
};

describe("alert rules (examples/prometheus, examples/kubernetes)", () => {
  it("the PrometheusRule holds exactly the rules of the plain rules file", () => {
    expect(operatorRule.kind).toBe("PrometheusRule");
    expect(operatorRule.spec.groups).toEqual(rules.groups);
  });

  it("pass `promtool check rules`, both files", () => {
    const spec = join(scratch, "prometheus-rule-spec.yml");
    writeFileSync(spec, stringify(operatorRule.spec));
    for (const f of [rulesFile, spec]) {
      const r = promtool(["check", "rules", f]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain("SUCCESS: 6 rules found");
    }
  });

  it("every alert fires on the series it is about, after its for: duration, and stays silent otherwise (promtool test rules)", () => {
    // Annotations are templates checked by `check rules`; the unit tests compare labels only.
    const bare = { groups: rules.groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }) => r) })) };
    writeFileSync(join(scratch, "rules.yml"), stringify(bare));
    writeFileSync(join(scratch, "tests.yml"), stringify(unitTests));
    const tested = new Set(unitTests.tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
    expect([...tested].sort()).toEqual(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort());
    const r = promtool(["test", "rules", "tests.yml"], scratch);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("SUCCESS");
  });

  it("ship sensible for: durations (minutes, not the seconds a test uses)", () => {
    for (const rule of rules.groups.flatMap((g) => g.rules)) expect(rule.for, rule.alert).toMatch(/^\d+[mh]$/);
  });

  it("the example scrape config passes `promtool check config` (with the rules it loads)", () => {
    const r = promtool(["check", "config", "prometheus.yml"], join(EXAMPLES, "prometheus"));
    expect(r.code, r.out).toBe(0);
  });
});

describe("metrics the rules and the dashboard query", () => {
  const exported = new Set(new AgentMetrics().registry.getMetricsAsArray().map((m) => m.name));

  it("are all exported by the agent", () => {
    const exprs = [...ruleExprs(rules), ...dashboardExprs(dashboard)];
    const unknown = exprs.flatMap(metricNames).filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
  });

  it("every dashboard panel reads the dashboard's data source variable", () => {
    for (const p of dashboard.panels.filter((p) => p.type !== "row"))
      expect(p.datasource?.uid, p.title).toBe("${datasource}");
    expect(dashboardExprs(dashboard).length).toBeGreaterThan(20);
  });
});
