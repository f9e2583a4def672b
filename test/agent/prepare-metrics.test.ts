import { describe, expect, it } from "vitest";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import { prepareMetrics } from "../../src/agent/prepare-metrics.js";
import type { AgentState } from "../../src/agent/state-file.js";
import { parseConfig } from "../../src/config/load-config.js";

const config = parseConfig(
  `repositories:
  main: { url: /tmp/nowhere, agent_key_file: /tmp/agent.key, identity_file: /tmp/id.txt }
jobs:
  app: { source: { type: files, paths: [/srv] }, repositories: [main], max_age: 2h }
  drill-app: { drill: { job: app } }
  never: { source: { type: files, paths: [/srv] }, repositories: [main] }
agent:
  prune: { schedule: "0 4 * * 0" }
`,
  "cairn.yaml",
  {},
);

const state: AgentState = {
  jobs: {
    app: {
      lastSuccess: "2026-01-01T00:00:00.000Z",
      lastRun: { result: "failure", startedAt: "", finishedAt: "", durationSeconds: 12, attempts: 3, error: "boom" },
    },
    "drill-app": {
      lastSuccess: "2026-01-02T00:00:00.000Z",
      lastRun: {
        result: "success",
        startedAt: "",
        finishedAt: "",
        durationSeconds: 30,
        attempts: 1,
        drill: { job: "app", restoreSeconds: 25, restoredBytes: 1000 },
      },
    },
  },
};

describe("prepareMetrics", () => {
  it("declares every job and pruned repository, and restores the last runs the state file remembers", async () => {
    const m = new AgentMetrics({ processMetrics: false });
    prepareMetrics(m, config, state);
    const text = await m.registry.metrics();
    expect(text).toContain('cairn_job_info{job_name="app",kind="backup"} 1');
    expect(text).toContain('cairn_job_info{job_name="drill-app",kind="drill"} 1');
    expect(text).toContain('cairn_job_max_age_seconds{job_name="app"} 7200');
    expect(text).not.toContain('cairn_job_max_age_seconds{job_name="never"}');
    expect(text).toContain(
      `cairn_job_last_success_timestamp_seconds{job_name="app"} ${Date.parse("2026-01-01") / 1000}`,
    );
    expect(text).toContain('cairn_job_last_run_success{job_name="app"} 0');
    expect(text).toContain('cairn_job_last_run_success{job_name="drill-app"} 1');
    expect(text).toContain(
      `cairn_drill_last_success_timestamp_seconds{job_name="drill-app"} ${Date.parse("2026-01-02") / 1000}`,
    );
    expect(text).toContain('cairn_drill_duration_seconds{job_name="drill-app"} 25');
    expect(text).not.toContain('cairn_job_last_run_success{job_name="never"}');
    expect(text).toContain('cairn_prune_runs_total{repository="main",result="success"} 0');
  });

  it("narrowed to one job (cairn run), describes that job only and leaves prune out", async () => {
    const m = new AgentMetrics({ processMetrics: false });
    prepareMetrics(m, config, state, ["app"]);
    const text = await m.registry.metrics();
    expect(text).toContain('job_name="app"');
    expect(text).not.toContain('job_name="drill-app"');
    expect(text).not.toContain('repository="main"');
  });
});
