import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentMetrics } from "../../../src/agent/metrics/agent-metrics.js";
import { VERSION } from "../../../src/core/version.js";

/** Every label name of every series in a text exposition. */
function labelNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const labels = /^[a-zA-Z_:][\w:]*\{(.*)\}/.exec(line)?.[1];
    for (const m of labels?.matchAll(/([a-zA-Z_]\w*)="/g) ?? []) names.add(m[1]);
  }
  return names;
}

describe("AgentMetrics", () => {
  it("labels jobs job_name, never job (Prometheus owns that label and would rename ours exported_job)", async () => {
    const m = new AgentMetrics();
    m.declareJob("app", { kind: "backup", maxAgeSeconds: 60 });
    m.declarePrune("main");
    m.snapshotAge.set({ job_name: "app", repository: "main" }, 1);
    const names = labelNames(await m.registry.metrics());
    expect(names).toContain("job_name");
    expect(names).not.toContain("job");
    for (const metric of m.registry.getMetricsAsArray())
      expect((metric as unknown as { labelNames: string[] }).labelNames, metric.name).not.toContain("job");
  });

  it("exports Node's process and runtime metrics under their standard names, and cairn_build_info", async () => {
    const text = await new AgentMetrics().registry.metrics();
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes"])
      expect(text).toMatch(new RegExp(`^${name}[ {]`, "m"));
    expect(text).not.toContain("cairn_process_");
    expect(text).toContain(`cairn_build_info{version="${VERSION}",node_version="${process.version}"} 1`);
  });

  it("leaves the process metrics out when asked (a one-shot run's textfile sits beside node_exporter's own)", async () => {
    const text = await new AgentMetrics({ processMetrics: false }).registry.metrics();
    expect(text).not.toMatch(/^(process|nodejs)_/m);
    expect(text).toContain("cairn_build_info{");
  });

  it("a reload's declarations replace the old job info: a removed job's series goes", async () => {
    const m = new AgentMetrics();
    m.declareJob("old", { kind: "sync" });
    m.resetDeclarations();
    m.declareJob("new", { kind: "drill" });
    const text = await m.registry.metrics();
    expect(text).toContain('cairn_job_info{job_name="new",kind="drill"} 1');
    expect(text).not.toContain('cairn_job_info{job_name="old"');
  });

  it("every cairn_* metric is listed in docs/CONFIG.md §Metrics", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "CONFIG.md"), "utf8");
    const table = doc.slice(doc.indexOf("## Metrics"), doc.indexOf("### CronJob mode"));
    const names = new AgentMetrics().registry.getMetricsAsArray().map((m) => m.name);
    expect(names.filter((n) => n.startsWith("cairn_") && !table.includes(`| \`${n}\` |`))).toEqual([]);
  });
});
