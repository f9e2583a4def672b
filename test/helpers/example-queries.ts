/** The PromQL that examples/ ships (alert rules, Grafana dashboard), and the metric names in it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

export interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations?: unknown;
}
export type RuleGroups = { groups: { name: string; rules: Rule[] }[] };

export interface Dashboard {
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

export function readRules(): RuleGroups {
  return parse(readFileSync(join(EXAMPLES, "prometheus", "cairn-alerts.yml"), "utf8")) as RuleGroups;
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(EXAMPLES, "grafana", "cairn-dashboard.json"), "utf8")) as Dashboard;
}

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
export function dashboardExprs(d: Dashboard = readDashboard()): string[] {
  const targets = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const vars = d.templating.list.map((v) => (typeof v.query === "string" ? "" : (v.query?.query ?? "")));
  return [...targets, ...vars].filter(Boolean);
}

export function ruleExprs(r: RuleGroups = readRules()): string[] {
  return r.groups.flatMap((g) => g.rules.map((rule) => rule.expr));
}

/** Metric names in PromQL: cairn's own and the standard process/runtime ones. */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:cairn|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]))];
}
