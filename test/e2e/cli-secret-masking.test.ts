/**
 * Secrets stay out of logs (docs/CONFIG.md §Validation, Secrets): whatever a
 * hook or a dump command writes of a configured secret value (a hooks.env
 * value, the agent_key, a source's password in its env, a notification URL's
 * token taken from `${VAR}`) is masked in every log line `cairn run` writes,
 * and in the error a failed dump reports, which notifications carry too.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, type Workspace } from "./helpers/workspace.js";

const HOOK_TOKEN = "hook-token-literal-1234";
const DB_PASSWORD = "db-pass-from-env-5678";
const HC_UUID = "0e5f9a1c-7d2b-4e4a-9c1f-123456789abc";

let ws: Workspace;
let receiver: WebhookReceiver;
let agentKey: string;
let config: string;

beforeAll(async () => {
  ws = await initWorkspace("secrets");
  receiver = await startWebhookReceiver();
  agentKey = readFileSync(ws.agentKey, "utf8")
    .split("\n")
    .find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
  const echo = `echo "token $API_TOKEN key $CAIRN_TEST_AGENT_KEY pw $DB_PASSWORD hc $HC_UUID"`;
  config = join(ws.dir, "cairn.yaml");
  writeFileSync(
    config,
    `repositories:
  main: { url: ${ws.repo}, agent_key: "\${CAIRN_TEST_AGENT_KEY}" }
jobs:
  db:
    source:
      type: dump
      shell: true
      command: 'echo "connecting with $PGPASSWORD" >&2; echo data'
      name: db.sql
      env: { PGPASSWORD: "\${DB_PASSWORD}" }
    repositories: [main]
    retry: { attempts: 0 }
    hooks:
      env: { API_TOKEN: ${HOOK_TOKEN} }
      before: '${echo}'
      after: '${echo} >&2'
    notify: { on_success: "${receiver.url}/ping/\${HC_UUID}" }
  failing:
    source:
      type: dump
      shell: true
      command: 'echo "password authentication failed: $PGPASSWORD" >&2; exit 3'
      name: x.sql
      env: { PGPASSWORD: "\${DB_PASSWORD}" }
    repositories: [main]
    retry: { attempts: 0 }
    notify: { on_failure: "${receiver.url}/fail/\${HC_UUID}" }
agent:
  cache_dir: ${ws.cache}
`,
  );
});
afterAll(async () => {
  await receiver?.close();
  await ws?.cleanup();
});

const env = () => ({ CAIRN_TEST_AGENT_KEY: agentKey, DB_PASSWORD, HC_UUID });

function expectNoSecret(text: string): void {
  for (const secret of [HOOK_TOKEN, DB_PASSWORD, HC_UUID, agentKey]) expect(text).not.toContain(secret);
}

function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("cairn run masks configured secrets", () => {
  it("in hook output and a dump command's stderr", async () => {
    const r = await runCli(["run", "--config", config, "db"], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    const lines = logLines(r.stdout);
    const hooks = lines.filter((l) => l.event === "hook_run");
    expect(hooks.map((h) => h.output)).toEqual([
      "token [masked] key [masked] pw [masked] hc [masked]",
      "token [masked] key [masked] pw [masked] hc [masked]",
    ]);
    expect(lines.find((l) => l.event === "source_output")?.msg).toBe("connecting with [masked]");
    // The ping went out with its token: masking is for what is logged, not for what is sent.
    expect(receiver.received.map((q) => q.path)).toContain(`/ping/${HC_UUID}`);
  });

  it("in the error of a failed dump: the log line, the notification and the state file", async () => {
    const r = await runCli(["run", "--config", config, "failing"], { env: env() });
    expect(r.code).toBe(1);
    expectNoSecret(r.stdout + r.stderr);
    const summary = logLines(r.stdout).find((l) => l.event === "job_run")!;
    expect(summary.error).toContain("password authentication failed: [masked]");
    const sent = receiver.received.find((q) => q.path === `/fail/${HC_UUID}`)!;
    expect(sent.body).toContain("password authentication failed: [masked]");
    expectNoSecret(sent.body);
    expectNoSecret(readFileSync(join(ws.cache, "agent-state.json"), "utf8"));
  });
});
