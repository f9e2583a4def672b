import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { ConfigInvalidError } from "../../src/core/errors.js";

const head = `repositories:\n  primary: { url: /tmp/r, agent_key_file: /tmp/k }\njobs:\n  app:\n    source: { type: files, paths: [/data] }\n    repositories: [primary]\n    notify:\n`;

function problems(notify: string): string {
  try {
    parseConfig(head + notify, "c.yaml", {});
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e.message;
    throw e;
  }
  throw new Error("config was accepted");
}

describe("notify: targets", () => {
  it("a URL keeps today's generic JSON; a mapping picks a format; each key hears its events", () => {
    const c = parseConfig(
      head +
        `      on_start: https://a.example/start\n      on_failure: { url: "https://hooks.slack.com/services/x", format: slack }\n      healthchecks: https://hc-ping.com/uuid\n`,
      "c.yaml",
      {},
    );
    expect(c.jobs.app.notifyTargets).toEqual([
      { url: "https://a.example/start", format: "json", events: ["start"], key: "notify.on_start" },
      {
        url: "https://hooks.slack.com/services/x",
        format: "slack",
        events: ["failure", "interrupted", "stale"],
        key: "notify.on_failure",
      },
      {
        url: "https://hc-ping.com/uuid",
        format: "healthchecks",
        events: ["start", "success", "partial", "failure", "interrupted"],
        key: "notify.healthchecks",
      },
    ]);
  });

  it("on_stale takes the stale alerts from on_failure; notify.format and template are the targets' defaults", () => {
    const c = parseConfig(
      head +
        `      format: discord\n      template: "{job}: {result}"\n      on_failure: https://d.example/f\n      on_stale: { url: "https://n.example/t", format: ntfy }\n`,
      "c.yaml",
      {},
    );
    expect(c.jobs.app.notifyTargets.map((t) => [t.key, t.format, t.template, t.events])).toEqual([
      ["notify.on_failure", "discord", "{job}: {result}", ["failure", "interrupted"]],
      ["notify.on_stale", "ntfy", "{job}: {result}", ["stale"]],
    ]);
  });

  it("reports a bad format, a bad URL, an unknown key and an unknown placeholder at their keys, with lines", () => {
    const report = problems(
      `      on_failure: { url: "https://x.example", format: teams-connector }\n      on_success: { url: "x.example" }\n      on_start: { url: "https://x.example", fromat: json }\n      template: "{job} {jbo}"\n`,
    );
    expect(report).toContain("c.yaml:8: jobs.app.notify.on_failure.format: Invalid option");
    expect(report).toContain('"slack"');
    expect(report).toContain("c.yaml:9: jobs.app.notify.on_success.url: expected an http:// or https:// URL");
    expect(report).toContain("c.yaml:10: jobs.app.notify.on_start.fromat: unknown key");
    expect(report).toContain("c.yaml:11: jobs.app.notify.template: unknown placeholder {jbo}; known: {job}");
  });
});
