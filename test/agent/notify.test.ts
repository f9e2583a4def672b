/**
 * Each notification format against a local HTTP receiver, checked for the
 * payload shape its service documents (Slack incoming webhooks, Discord
 * webhooks, a Teams Workflows webhook, ntfy, Gotify, healthchecks.io), and
 * the generic JSON that existing configs keep getting.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/agent/logger.js";
import { notify } from "../../src/agent/notify.js";
import { endNotification, startNotification } from "../../src/agent/run-notification.js";
import type { JobSpec } from "../../src/config/agent-config.js";
import { parseConfig } from "../../src/config/load-config.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";

let hook: WebhookReceiver;
beforeAll(async () => (hook = await startWebhookReceiver((path) => (path.includes("broken") ? 500 : 200))));
afterAll(() => hook.close());

function jobWith(notifyYaml: string): JobSpec {
  const yaml = `repositories:\n  primary: { url: /tmp/r, agent_key_file: /tmp/k }\njobs:\n  app-data:\n    source: { type: files, paths: [/data] }\n    repositories: [primary]\n    notify:\n${notifyYaml}`;
  return parseConfig(yaml, "t.yaml", {}).jobs["app-data"];
}

function logger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = "";
  return {
    log: createLogger("debug", new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) })),
    text: () => text,
  };
}

const RUN_ID = "6f1c1c8e-2b3a-4a57-9a55-0d2c0bbf4f11";
const failed = {
  result: "failure" as const,
  startedAt: "2026-03-01T04:00:00.000Z",
  finishedAt: "2026-03-01T04:01:05.000Z",
  durationSeconds: 65,
  attempts: 3,
  error: "repository primary: access denied <check the key> & retry",
};
const succeeded = {
  ...failed,
  result: "success" as const,
  error: undefined,
  snapshots: { primary: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12" },
  files: 1200,
  bytesAdded: 5 * 1024 * 1024,
  unreadable: 0,
};

/** Sends `outcome` of job `j` and returns the requests the receiver got for it. */
async function send(j: JobSpec, outcome: Parameters<typeof endNotification>[1] = failed) {
  const before = hook.received.length;
  const { log, text } = logger();
  await notify(j.notifyTargets, endNotification(j, outcome, "app1", RUN_ID), { timeoutMs: 5000, log });
  return { got: hook.received.slice(before), logs: text() };
}

describe("notification formats (local receiver)", () => {
  it("json (the default): the body cairn always sent, plus message", async () => {
    const { got } = await send(jobWith(`      on_failure: ${hook.url}/generic/t0k3n\n`));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: "POST", path: "/generic/t0k3n" });
    expect(got[0].headers["content-type"]).toBe("application/json");
    expect(JSON.parse(got[0].body)).toEqual({
      job: "app-data",
      result: "failure",
      duration_s: 65,
      error: failed.error,
      message: `app-data failed after 1 min 05 s: ${failed.error}`,
    });
  });

  it("slack: text (the fallback line) and blocks, with Slack's &, <, > escaped", async () => {
    const { got } = await send(jobWith(`      on_failure: { url: "${hook.url}/services/T0/B0/xyz", format: slack }\n`));
    const body = JSON.parse(got[0].body) as { text: string; blocks: Record<string, any>[] };
    expect(body.text).toBe(
      "cairn: app-data failed: app-data failed after 1 min 05 s: repository primary: access denied &lt;check the key&gt; &amp; retry",
    );
    expect(body.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "cairn: app-data failed", emoji: true },
    });
    expect(body.blocks[1]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    expect(body.blocks[1].text.text).toContain("&lt;check the key&gt;");
    expect(body.blocks[2].type).toBe("context");
    expect(body.blocks[2].elements).toContainEqual({ type: "mrkdwn", text: "*Duration:* 1 min 05 s" });
  });

  it("discord: content and an embed with colour, timestamp and fields; no mentions", async () => {
    const { got } = await send(
      jobWith(`      on_success: { url: "${hook.url}/api/webhooks/1/tok", format: discord }\n`),
      succeeded,
    );
    const body = JSON.parse(got[0].body) as {
      content: string;
      embeds: Record<string, any>[];
      allowed_mentions: unknown;
    };
    expect(body.content).toBe("cairn: app-data succeeded");
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({
      title: "cairn: app-data succeeded",
      description: "app-data succeeded in 1 min 05 s; snapshots primary ab12cd34",
      color: 0x2e7d32,
      timestamp: succeeded.finishedAt,
    });
    expect(body.embeds[0].fields).toContainEqual({ name: "Snapshots", value: "primary ab12cd34", inline: true });
  });

  it("teams: a Workflows message with one Adaptive Card attachment", async () => {
    const { got } = await send(
      jobWith(
        `      on_failure: { url: "${hook.url}/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t", format: teams }\n`,
      ),
    );
    expect(got[0].query.get("sig")).toBe("s3cr3t");
    const body = JSON.parse(got[0].body) as { type: string; attachments: Record<string, any>[] };
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const a = body.attachments[0];
    expect(a.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(a.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(a.content.$schema).toBe("http://adaptivecards.io/schemas/adaptive-card.json");
    expect(a.content.body[0]).toMatchObject({ type: "TextBlock", text: "cairn: app-data failed", color: "Attention" });
    expect(a.content.body[1]).toMatchObject({ type: "TextBlock", wrap: true });
    expect(a.content.body[2].type).toBe("FactSet");
  });

  it("ntfy: the message as text, Title/Priority/Tags headers; URL credentials become Basic auth", async () => {
    const url = hook.url.replace("http://", "http://phil:p%40ss@");
    const { got } = await send(jobWith(`      on_failure: { url: "${url}/backups-topic", format: ntfy }\n`));
    expect(got[0].path).toBe("/backups-topic");
    expect(got[0].headers).toMatchObject({
      title: "cairn: app-data failed",
      priority: "4",
      tags: "rotating_light,cairn",
    });
    expect(got[0].headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(got[0].headers.authorization).toBe(`Basic ${Buffer.from("phil:p@ss").toString("base64")}`);
    expect(got[0].body).toBe(`app-data failed after 1 min 05 s: ${failed.error}`);
  });

  it("gotify: POST /message with title, message, priority; the token moves from the query to X-Gotify-Key", async () => {
    const { got } = await send(
      jobWith(`      on_failure: { url: "${hook.url}/gotify?token=AppT0ken", format: gotify }\n`),
    );
    expect(got[0].path).toBe("/gotify/message");
    expect(got[0].query.has("token")).toBe(false);
    expect(got[0].headers["x-gotify-key"]).toBe("AppT0ken");
    expect(JSON.parse(got[0].body)).toMatchObject({
      title: "cairn: app-data failed",
      message: `app-data failed after 1 min 05 s: ${failed.error}`,
      priority: 8,
    });
  });

  it("healthchecks: /start, the bare URL and /fail, paired by the run's rid, the message as the body", async () => {
    const j = jobWith(`      healthchecks: "${hook.url}/ping/0f6e8a9c-uuid/fail"\n`);
    const { log } = logger();
    const before = hook.received.length;
    await notify(j.notifyTargets, startNotification(j, "app1", RUN_ID, new Date()), { timeoutMs: 5000, log });
    await notify(j.notifyTargets, endNotification(j, succeeded, "app1", RUN_ID), { timeoutMs: 5000, log });
    await notify(j.notifyTargets, endNotification(j, failed, "app1", RUN_ID), { timeoutMs: 5000, log });
    const got = hook.received.slice(before);
    expect(got.map((r) => r.path)).toEqual([
      "/ping/0f6e8a9c-uuid/start",
      "/ping/0f6e8a9c-uuid",
      "/ping/0f6e8a9c-uuid/fail",
    ]);
    expect(got.map((r) => r.query.get("rid"))).toEqual([RUN_ID, RUN_ID, RUN_ID]);
    expect(got[0].body).toBe("app-data started on app1");
    expect(got[2].body).toContain("access denied");
  });

  it("a template with placeholders; a per-target format and template win over the notify-wide ones", async () => {
    const j = jobWith(
      `      format: ntfy\n      template: "{job} -> {result} ({duration}, {snapshots}, {bytes_added} new, on {host})"\n` +
        `      on_success: ${hook.url}/topic\n      on_failure: { url: "${hook.url}/hooks/x", format: json, template: "{job}: {error}" }\n`,
    );
    const ok = await send(j, succeeded);
    expect(ok.got[0].headers.title).toBe("cairn: app-data succeeded");
    expect(ok.got[0].body).toBe("app-data -> success (1 min 05 s, primary ab12cd34, 5.0 MiB new, on app1)");
    const bad = await send(j, failed);
    expect(JSON.parse(bad.got[0].body).message).toBe(`app-data: ${failed.error}`);
  });

  it("a target that fails is logged by host only (no path token) and does not stop the others", async () => {
    const j = jobWith(
      `      on_failure: { url: "${hook.url}/broken/SECRET-TOKEN", format: slack }\n      healthchecks: "${hook.url}/SECRET-UUID"\n`,
    );
    const { got, logs } = await send(j);
    expect(got.map((r) => r.path)).toEqual(["/broken/SECRET-TOKEN", "/SECRET-UUID/fail"]);
    expect(logs).toContain("answered HTTP 500");
    expect(logs).toContain('"format":"slack"');
    expect(logs).not.toContain("SECRET");
  });
});
