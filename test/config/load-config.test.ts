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
    `repositories:\n  p:\n    url: s3://b/p\n    agent_key_file: /k\n    s3: { checksum: crc }\njobs:\n  a: { source: { type: files, paths: [/d] }, repositories: [p] }\n`,
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
];

describe("config validation: malformed configs", () => {
  it.each(CASES)("%s", (_name, text, expected) => {
    const report = problemsOf(text);
    for (const e of expected) expect(report).toContain(e);
  });

  // Shape errors are all listed together; name references are checked once the shapes are right.
  it("lists every problem, not only the first", () => {
    const report = problemsOf(
      `${REPOS}jobs:\n  a:\n    source: { type: files, paths: [/d] }\n    repositories: [nope]\n    schedule: "bad"\n    timezone: Nowhere/City\n    colour: red\n`,
    );
    expect((report.match(/^ {2}c\.yaml/gm) ?? []).length).toBe(3);
    expect(report).toContain("c.yaml:11: jobs.a.colour: unknown key");
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
      { URL: "s3://b/p", KEY: "" },
    );
    expect(c.repositories.p.url).toBe("s3://b/p");
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
      { get: (_t, k) => (typeof k === "string" ? `example-${k}` : undefined) },
    ) as NodeJS.ProcessEnv;
    for (const f of files) await loadConfig(new URL(`../../config/${f}`, import.meta.url).pathname, env);
  });

  it("a missing file is a config error naming it", async () => {
    await expect(loadConfig("/nonexistent/cairn.yaml")).rejects.toThrow(
      "/nonexistent/cairn.yaml: 1 problem(s) in the config:\n  /nonexistent/cairn.yaml: (top level): cannot read the config file: no such file",
    );
  });
});
