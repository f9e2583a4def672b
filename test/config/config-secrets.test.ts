import { describe, expect, it } from "vitest";
import { configSecrets, urlSecrets } from "../../src/config/config-secrets.js";
import type { RawConfig } from "../../src/config/config-schema.js";
import { parseConfig } from "../../src/config/load-config.js";
import { SecretMask } from "../../src/exec/secret-mask.js";

describe("configSecrets", () => {
  it("collects agent keys, hook and source environments, passwords, URL tokens and ${VAR} values of secret keys", () => {
    const c = parseConfig(
      `repositories:
  p: { url: /r, agent_key: "\${KEY}" }
jobs:
  a:
    source: { type: dump, command: "pg_dump \${DB}", name: a.sql, env: { PGPASSWORD: literal-pw-1 } }
    repositories: [p]
    hooks: { env: { TOKEN: "t-\${HOOK_PART}" } }
    notify:
      on_failure: "https://hooks.slack.com/services/T0001/B0001/\${SLACK}"
      on_success: { url: "https://gotify.example/message?token=AbCdEf12345", format: gotify }
      healthchecks: https://hc-ping.com/5a1b2c3d-0000-4000-8000-aaaaaaaaaaaa
agent:
  pushgateway: https://user:pgw-pass-9@pushgateway.example
`,
      "c.yaml",
      { KEY: "AGE-SECRET-KEY-1EXAMPLE", DB: "orders", HOOK_PART: "abc", SLACK: "xoxb-slack-token-value" },
    );
    const secrets = c.secrets;
    for (const s of [
      "AGE-SECRET-KEY-1EXAMPLE",
      "literal-pw-1",
      "t-abc",
      "abc", // a ${VAR} in a secret key is a secret by itself, even as a part of the value
      "xoxb-slack-token-value",
      "/services/T0001/B0001/xoxb-slack-token-value",
      "AbCdEf12345",
      "5a1b2c3d-0000-4000-8000-aaaaaaaaaaaa",
      "pgw-pass-9",
    ])
      expect(secrets).toContain(s);
    // A ${VAR} in a key that holds no secret (the dump command is logged as written) is not one.
    expect(secrets).not.toContain("orders");
    // Words of a webhook's path are not tokens.
    expect(secrets).not.toContain("services");
  });

  it("a source's password field counts (postgres and mysql sections)", () => {
    const raw = {
      repositories: {},
      jobs: { db: { source: { type: "postgres", password: "pg-secret-pw" } } },
      agent: {},
    } as unknown as RawConfig;
    expect(configSecrets(raw)).toEqual(["pg-secret-pw"]);
  });

  it("urlSecrets: userinfo password, query values, the whole path, long segments", () => {
    expect(urlSecrets("https://ntfy.sh/backups")).toEqual(["/backups"]);
    expect(urlSecrets("not a url")).toEqual([]);
    expect(urlSecrets("https://u:p%40ss@h.example/?sig=xyz")).toEqual(["p%40ss", "p@ss", "xyz", "/?sig=xyz"]);
  });
});

describe("SecretMask", () => {
  it("masks the longest value first, in raw and JSON-escaped form, and skips values too short to be secrets", () => {
    const m = new SecretMask();
    m.add(["abc", 'pa"ss\\word', "secret", "secret-longer"]);
    expect(m.mask("secret-longer and secret and abc")).toBe("[masked] and [masked] and abc");
    expect(m.mask(JSON.stringify({ out: 'pa"ss\\word' }))).toBe('{"out":"[masked]"}');
  });
});
