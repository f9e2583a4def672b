import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { ConfigInvalidError } from "../../src/core/errors.js";

const REPOS = `repositories:
  primary:
    url: /tmp/repo
    agent_key_file: /tmp/key
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, "c.yaml", env);
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e.message;
    throw e;
  }
  throw new Error("config was accepted");
}

function job(body: string): string {
  return `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/data] }\n    repositories: [primary]\n${body}`;
}

// Each: a malformed config and the text its report must contain (file:line: path: what was expected).
const CASES: [string, string, string[]][] = [
  ["YAML syntax error", `${REPOS}jobs: [unclosed`, ["c.yaml:5:", "YAML syntax"]],
  ["not a mapping", "- a\n- b\n", ["c.yaml:1:", "expected a mapping with repositories:"]],
  [
    "unknown top-level key",
    `${REPOS}jobs:\n  app:\n    sync: { from: primary, to: primary }\nschedules: {}\n`,
    ["c.yaml:8: schedules: unknown key"],
  ],
  ["misspelt key in a job", job(`    schedul: "* * * * *"\n`), ["c.yaml:9: jobs.app.schedul: unknown key"]],
  [
    "misspelt exclude in the source",
    `${REPOS}jobs:\n  app:\n    source:\n      type: files\n      paths: [/d]\n      exlude: ["*.tmp"]\n    repositories: [primary]\n`,
    ["c.yaml:10: jobs.app.source.exlude: unknown key"],
  ],
  [
    "unknown source type",
    `${REPOS}jobs:\n  app:\n    source: { type: ftp, paths: [/d] }\n    repositories: [primary]\n`,
    ["c.yaml:7: jobs.app.source.type:", "Expected 'files'"],
  ],
  ["bad cron", job(`    schedule: "61 * * * *"\n`), ["c.yaml:9: jobs.app.schedule: expected a cron expression", "61"]],
  ["bad time zone", job(`    timezone: Mars/Olympus\n`), ["c.yaml:9: jobs.app.timezone: expected an IANA time zone"]],
  [
    "unknown repository",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/d] }\n    repositories: [primry]\n`,
    ['c.yaml:8: jobs.app.repositories.0: no repository named "primry"; defined: primary'],
  ],
  [
    "missing env var",
    `repositories:\n  p:\n    url: \${REPO_URL}\n    agent_key_file: /k\njobs:\n  a:\n    sync: { from: p, to: q }\n`,
    ["c.yaml:3: repositories.p.url: environment variable REPO_URL is not set"],
  ],
  [
    "malformed variable reference",
    job(`    host: "\${1bad}"\n`),
    ["c.yaml:9: jobs.app.host: malformed variable reference"],
  ],
  [
    "wrong type",
    job(`    run_on_start: "yes"\n`),
    ["c.yaml:9: jobs.app.run_on_start: expected boolean, received string"],
  ],
  ["bad duration", job(`    jitter: 5 minutes\n`), ["c.yaml:9: jobs.app.jitter: expected a duration such as 30s"]],
  [
    "both source and sync",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/d] }\n    sync: { from: primary, to: primary }\n`,
    ["c.yaml:6: jobs.app: a job has exactly one of source:"],
  ],
  [
    "backup job without repositories",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/d] }\n`,
    ["jobs.app.repositories: missing: a backup job lists the repositories"],
  ],
  [
    "repository without a key for a backup",
    `repositories:\n  p:\n    url: /r\njobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [p]\n`,
    ["c.yaml:2: repositories.p: job a backs up to it, so it needs agent_key_file or a non-empty agent_key"],
  ],
  [
    "empty agent key from an unset variable with an empty default",
    `repositories:\n  p:\n    url: /r\n    agent_key: \${KEY:-}\njobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [p]\n`,
    ["c.yaml:2: repositories.p: job a backs up to it, so it needs agent_key_file or a non-empty agent_key"],
  ],
  [
    "unknown retention key",
    job(`    retention: { keep_dayly: 7 }\n`),
    ["c.yaml:9: jobs.app.retention.keep_dayly: unknown retention key; expected one of keep-last"],
  ],
  [
    "same retention key twice",
    job(`    retention: { keep_daily: 7, keep-daily: 3 }\n`),
    ["jobs.app.retention.keep-daily: keep-daily is given twice"],
  ],
  [
    "retention count not a number",
    job(`    retention:\n      keep_daily: seven\n`),
    ["c.yaml:10: jobs.app.retention.keep_daily:", "expected number"],
  ],
  [
    "empty paths",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [] }\n    repositories: [primary]\n`,
    ["c.yaml:7: jobs.app.source.paths: list at least one path"],
  ],
  [
    "bad listen address",
    `${REPOS}jobs:\n  a:\n    sync: { from: primary, to: primary }\nagent:\n  listen: ninety\n`,
    ["c.yaml:9: agent.listen: expected host:port"],
  ],
  [
    "prune without schedule",
    job(`agent:\n  prune: { max_unused: 5% }\n`),
    ["agent.prune.schedule: missing: expected string"],
  ],
  [
    "bad notify URL",
    job(`    notify: { on_success: hc.example/ping }\n`),
    ["c.yaml:9: jobs.app.notify.on_success: expected an http:// or https:// URL"],
  ],
  [
    "retention on a sync job",
    `${REPOS}jobs:\n  m:\n    sync: { from: primary, to: other }\n    retention: { keep_last: 1 }\n`,
    ["jobs.m.retention: not allowed on a sync job", 'jobs.m.sync.to: no repository named "other"'],
  ],
  [
    "duplicate YAML key",
    `${REPOS}${REPOS.replace("repositories:\n", "")}jobs: {}\n`,
    ["YAML syntax", "Map keys must be unique"],
  ],
  ["no jobs", `${REPOS}jobs: {}\n`, ["jobs: expected at least one job"]],
  [
    "alias bomb",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    ["c.yaml:1:", "resource exhaustion", "use fewer aliases"],
  ],
  ["tab indentation", `${REPOS}jobs:\n\tapp: {}\n`, ["c.yaml:6:", "YAML syntax: Tabs are not allowed"]],
  [
    "unterminated variable",
    `repositories:\n  p: { url: "\${X", agent_key_file: /k }\njobs:\n  a: { sync: { from: p, to: p } }\n`,
    ["c.yaml:2: repositories.p.url: malformed variable reference"],
  ],
  ["jobs as a list", `${REPOS}jobs: [a, b]\n`, ["c.yaml:5: jobs: expected record, received array"]],
  [
    "job name with a space",
    `${REPOS}jobs:\n  "my job":\n    sync: { from: primary, to: primary }\n`,
    ["c.yaml:6: jobs.my job: invalid name: expected a name of letters, digits"],
  ],
  ["misspelt hook", job(`    hooks: { befor: "echo" }\n`), ["c.yaml:9: jobs.app.hooks.befor: unknown key"]],
  [
    "retry attempts out of range",
    job(`    retry: { attempts: 50 }\n`),
    ["c.yaml:9: jobs.app.retry.attempts: Too big: expected number to be <=20"],
  ],
  [
    "bad S3 checksum mode",
    `repositories:\n  p:\n    url: s3://bucket-1/p\n    agent_key_file: /k\n    s3: { checksum: crc }\njobs:\n  a: { source: { type: files, paths: [/d] }, repositories: [p] }\n`,
    ["c.yaml:5: repositories.p.s3.checksum:", 'expected one of "md5"|"sdk"|"off"'],
  ],
  [
    "bad prune max_unused",
    job(`agent:\n  prune: { schedule: "0 4 * * 0", max_unused: "5" }\n`),
    ["c.yaml:10: agent.prune.max_unused: expected a percentage such as 5%"],
  ],
  // Checked by the same parser `cairn prune` uses: "1GB" and "150%" once passed validation and failed every prune.
  [
    "prune sizes cairn prune refuses",
    job(`agent:\n  prune: { schedule: "0 4 * * 0", max_unused: 150%, max_repack_size: 1GB }\n`),
    ["agent.prune.max_unused: expected a percentage", "agent.prune.max_repack_size: expected a size such as 1GiB"],
  ],
  ["unknown log level", job(`agent:\n  log_level: verbose\n`), ["c.yaml:10: agent.log_level:", "expected one of"]],
  [
    "empty repository url",
    `repositories:\n  p: { url: "", agent_key_file: /k }\njobs:\n  a: { source: { type: files, paths: [/d] }, repositories: [p] }\n`,
    ["c.yaml:2: repositories.p.url: expected a repository URL"],
  ],
  [
    "source missing type",
    `${REPOS}jobs:\n  app:\n    source: { paths: [/d] }\n    repositories: [primary]\n`,
    ["c.yaml:7: jobs.app.source.type:"],
  ],
  [
    "drill of a job that does not exist",
    job(`  d:\n    drill: { job: ap }\n`),
    ["c.yaml:10: jobs.d.drill.job: expected the name of a backup job (one with source:); backup jobs: app"],
  ],
  [
    "drill of a sync job",
    `${REPOS}jobs:\n  m:\n    sync: { from: primary, to: primary }\n  d:\n    drill: { job: m }\n`,
    ["jobs.d.drill.job: expected the name of a backup job"],
  ],
  [
    "drill from a repository without the identity",
    job(`  d:\n    drill: { job: app }\n`),
    ["repositories.primary.identity_file: drill d restores from it, so it needs identity_file"],
  ],
  [
    "drill from a repository the job does not use",
    job(`  d:\n    drill: { job: app, repository: other }\n`),
    ['jobs.d.drill.repository: job app does not back up to "other"; its repositories: primary'],
  ],
  [
    "drill query on a files job",
    job(`  d:\n    drill: { job: app, query: "select 1", expect: 1 }\n`),
    [
      "jobs.d.drill.query: only for a drill of a postgres or mysql logical job (job app is files)",
      "jobs.d.drill.expect: only for",
    ],
  ],
  [
    "drill with repositories",
    job(`  d:\n    drill: { job: app }\n    repositories: [primary]\n`),
    ["jobs.d.repositories: not allowed on a drill job"],
  ],
  [
    "drill sample not positive",
    job(`  d:\n    drill: { job: app, sample: 0 }\n`),
    ["c.yaml:10: jobs.d.drill.sample: Too small: expected number to be >0"],
  ],
  [
    "max_age on a drill job",
    job(`  d:\n    drill: { job: app }\n    max_age: 1d\n`),
    ["jobs.d.max_age: only a backup job has snapshots whose age to watch"],
  ],
  ["bad max_age", job(`    max_age: a day\n`), ["c.yaml:9: jobs.app.max_age: expected a duration such as 30s"]],
  [
    "source and drill",
    job(`    drill: { job: app }\n`),
    [
      "jobs.app: a job has exactly one of source: (a backup), sync: (a copy between repositories) or drill: (a restore drill)",
    ],
  ],
  // What passed validation and failed (or misbehaved) only once the agent ran.
  ["listen port 0", job(`agent:\n  listen: 0.0.0.0:0\n`), ["c.yaml:10: agent.listen: expected a port from 1 to 65535"]],
  [
    "listen port past 65535",
    job(`agent:\n  listen: "[::]:99999"\n`),
    ["agent.listen: expected a port from 1 to 65535"],
  ],
  [
    "empty exclude pattern",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/d], exclude: ["*.tmp", ""] }\n    repositories: [primary]\n`,
    ["c.yaml:7: jobs.app.source.exclude.1: an exclude pattern must not be empty"],
  ],
  [
    "exclude pattern of a lone slash",
    `${REPOS}jobs:\n  app:\n    source: { type: files, paths: [/d], exclude: [/] }\n    repositories: [primary]\n`,
    ['jobs.app.source.exclude.0: exclude pattern "/" names nothing'],
  ],
  ...(
    [
      ["s3://Bad_Bucket/x", '"Bad_Bucket" in "s3://Bad_Bucket/x" is not a valid bucket name'],
      ["azure://ab/x", '"ab" in "azure://ab/x" is not a valid container name'],
      ["ftp://host/x", 'unknown repository scheme "ftp:"'],
      ["file://host/x", 'cannot read "file://host/x" as a file:// URL'],
      ["local:", 'no path in "local:"'],
      ["s3://bucket-1/a/../b", '"s3://bucket-1/a/../b": the prefix may not contain . or .. components'],
    ] as const
  ).map(([url, message]): [string, string, string[]] => [
    `repository URL ${url}`,
    `repositories:\n  p: { url: "${url}", agent_key_file: /k }\njobs:\n  a: { sync: { from: p, to: p } }\n`,
    [`c.yaml:2: repositories.p.url: ${message}`],
  ]),
  [
    "S3 endpoint that is not a URL",
    `repositories:\n  p:\n    url: s3://bucket-1/p\n    agent_key_file: /k\n    s3: { endpoint: minio:9000 }\njobs:\n  a: { source: { type: files, paths: [/d] }, repositories: [p] }\n`,
    ['c.yaml:5: repositories.p.s3.endpoint: "minio:9000" is not an http:// or https:// URL'],
  ],
  [
    "grace_period past what a timer holds",
    job(`agent:\n  grace_period: 100000000000000d\n`),
    ["c.yaml:10: agent.grace_period: 100000000000000d is longer than 24d20h31m23s, the longest a timer can wait"],
  ],
  ["grace_period of 25 days", job(`agent:\n  grace_period: 25d\n`), ["agent.grace_period: 25d is longer than"]],
  [
    "every timer duration of a job",
    job(
      `    jitter: 30d\n    hooks: { timeout: 9999h }\n    notify: { on_success: "https://hc.example/x", timeout: 1000d }\n`,
    ),
    [
      "c.yaml:9: jobs.app.jitter: 30d is longer than 24d20h31m23s",
      "c.yaml:10: jobs.app.hooks.timeout: 9999h is longer",
      "c.yaml:11: jobs.app.notify.timeout: 1000d is longer",
    ],
  ],
  [
    "a retry backoff that doubles past a timer",
    job(`    retry: { attempts: 20, backoff: 30s }\n`),
    ["c.yaml:9: jobs.app.retry.backoff: 30s doubled before each of 20 retries waits 182d before the last"],
  ],
  [
    "spans past 1000 years",
    `repositories:\n  p: { url: /r, agent_key_file: /k, retain_for: 1000000y }\njobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [p]\n    max_age: 400000d\n    retention: { keep_within: 99999y }\nagent:\n  prune: { schedule: "0 4 * * 0", grace: 99999999d }\n`,
    [
      "repositories.p.retain_for: 1000000y is longer than 365000d (1000y)",
      "c.yaml:7: jobs.a.max_age: 400000d is longer than 365000d (1000y)",
      "c.yaml:8: jobs.a.retention: keep-within 99999y is longer than 365000d (1000y)",
      "agent.prune.grace: 99999999d is longer",
    ],
  ],
  [
    "a source's timeout_seconds past a timer",
    `${REPOS}jobs:\n  db:\n    source: { type: dump, command: "echo x", name: x.sql, timeout_seconds: 1e10 }\n    repositories: [primary]\n`,
    ["c.yaml:7: jobs.db.source.timeout_seconds: 10000000000 s is longer than 24d20h31m23s"],
  ],
];

describe("config validation: malformed configs", () => {
  it.each(CASES)("%s", (_name, text, expected) => {
    const report = problemsOf(text);
    for (const e of expected) expect(report).toContain(e);
  });

  // Shape errors and the cross-checks of the keys that parse are listed together.
  it("lists every problem, not only the first", () => {
    const report = problemsOf(
      `${REPOS}jobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [nope]\n    schedule: "bad"\n    timezone: Nowhere/City\n    colour: red\n`,
    );
    expect((report.match(/^ {2}c\.yaml/gm) ?? []).length).toBe(4);
    expect(report).toContain('c.yaml:8: jobs.a.repositories.0: no repository named "nope"');
    expect(report).toContain("c.yaml:11: jobs.a.colour: unknown key");
  });

  // A broken section used to hide every problem a later check would have found (cross-references, durations).
  it("lists problems of every kind at once: shapes, names, locations and bounds", () => {
    const report = problemsOf(
      [
        "repositories:",
        '  main: { url: "s3://Bad_Bucket/x", agent_key_file: /k }',
        "jobs:",
        "  a:",
        '    source: { type: files, paths: [/data], exclude: [""] }',
        "    repositories: [main, nonexistent]",
        "    hooks: { timeout: 99999999d }",
        "  b:",
        "    source: { type: files, paths: [/data] }",
        "    repositories: [missing]",
        '    schedule: "99 * * * *"',
        "agent:",
        "  listen: 0.0.0.0:99999",
        "  grace_period: 100000000000000d",
        "",
      ].join("\n"),
    );
    for (const line of [
      "c.yaml:2: repositories.main.url:",
      "c.yaml:5: jobs.a.source.exclude.0: an exclude pattern must not be empty",
      'c.yaml:6: jobs.a.repositories.1: no repository named "nonexistent"',
      "c.yaml:7: jobs.a.hooks.timeout: 99999999d is longer",
      "c.yaml:11: jobs.b.schedule: expected a cron expression",
      "c.yaml:13: agent.listen: expected a port from 1 to 65535",
    ])
      expect(report).toContain(line);
    // The keys of a broken section that parse are still checked: jobs.b's repositories, agent.grace_period.
    expect(report).toContain('c.yaml:10: jobs.b.repositories.0: no repository named "missing"');
    expect(report).toContain("c.yaml:14: agent.grace_period: 100000000000000d is longer");
    expect(report).toContain("c.yaml: 8 problem(s) in the config");
  });

  it("a reference to a repository whose own section is broken is not called unknown", () => {
    const report = problemsOf(
      `repositories:\n  p: { url: "ftp://x", agent_key_file: /k }\njobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [p]\n`,
    );
    expect(report).toContain("c.yaml: 1 problem(s) in the config");
    expect(report).not.toContain("no repository named");
  });

  it("bounds are inclusive: 24d and a backoff that reaches just under the timer's limit pass", () => {
    const c = parseConfig(
      job(`    retry: { attempts: 3, backoff: 6d }\nagent:\n  grace_period: 24d20h31m23s\n`),
      "c.yaml",
      {},
    );
    expect(c.gracePeriodMs).toBe(2_147_483_000);
    expect(c.jobs.app.retryBackoffMs).toBe(6 * 86_400_000);
  });

  it("never shows a secret value, even in a broken config", () => {
    const secret = "AGE-SECRET-KEY-1QQQQSECRETSECRET";
    const report = problemsOf(
      `repositories:\n  p:\n    url: /r\n    agent_key: \${KEY}\n    agent_key_file: /k\njobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [p]\n    hooks: { env: { PGPASSWORD: "\${KEY}" } }\n    notify: { on_success: "https://hc.example/ping/\${KEY}" }\n`,
      { KEY: secret },
    );
    expect(report).toContain("repositories.p.agent_key: give agent_key or agent_key_file, not both");
    expect(report).not.toContain(secret);
  });
});

describe("config: substitution and defaults", () => {
  it("substitutes ${VAR} and ${VAR:-default}, and $$ is a literal $", () => {
    const c = parseConfig(
      `repositories:\n  p:\n    url: \${URL}\n    agent_key: \${KEY:-fallback}\njobs:\n  a:\n    source: { type: files, paths: ["/d/$$x"] }\n    repositories: [p]\n`,
      "c.yaml",
      { URL: "s3://bucket-1/p", KEY: "" },
    );
    expect(c.repositories.p.url).toBe("s3://bucket-1/p");
    expect(c.repositories.p.agent_key).toBe("fallback");
    const src = c.jobs.a.config.source;
    expect(src?.type === "files" && src.paths).toEqual(["/d/$x"]);
  });

  it("fills defaults and reads retention in either spelling", () => {
    const c = parseConfig(job(`    retention: { keep_last: 3, keep-daily: 7 }\n`), "c.yaml", {});
    expect(c.gracePeriodMs).toBe(8_000); // fits a container runtime's 10 s stop timeout (docs/CONFIG.md §Behaviour)
    expect(c.agent.listen).toBe("0.0.0.0:22476");
    expect(c.jobs.app.retention?.policy).toMatchObject({ last: 3, daily: 7 });
    expect(c.jobs.app.config.retry).toEqual({ attempts: 2, backoff: "30s" });
  });

  it("every shipped example in config/ is valid", async () => {
    const files = readdirSync(new URL("../../config/", import.meta.url)).filter((f) => f.endsWith(".yaml"));
    expect(files).toContain("cairn.yaml");
    // Examples read secrets from the environment: every variable is "set" here, as a deployment would set it.
    const env = new Proxy(
      {},
      // An endpoint variable holds a URL in any deployment that sets it (the files give http://minio:9000 as default).
      {
        get: (_t, k) =>
          typeof k !== "string" ? undefined : k.endsWith("ENDPOINT") ? `https://example.invalid/${k}` : `example-${k}`,
      },
    ) as NodeJS.ProcessEnv;
    for (const f of files) await loadConfig(new URL(`../../config/${f}`, import.meta.url).pathname, env);
  });

  it("a missing file is a config error naming it", async () => {
    await expect(loadConfig("/nonexistent/cairn.yaml")).rejects.toThrow(
      "/nonexistent/cairn.yaml: 1 problem(s) in the config:\n  /nonexistent/cairn.yaml: (top level): cannot read the config file: no such file",
    );
  });
});
