/**
 * `cairn config validate` refuses what would fail later (a port no socket
 * takes, an empty exclude pattern, a repository URL openStorage would refuse,
 * a duration a timer cannot hold) and lists every problem of the file in
 * one run (docs/CONFIG.md §Validation).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { newWorkspace, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;
beforeAll(async () => {
  ws = await newWorkspace("config-validate");
});
afterAll(() => ws?.cleanup());

const BROKEN = `repositories:
  main: { url: "s3://Bad_Bucket/x", agent_key_file: /k }
  other: { url: "ftp://host/x", agent_key_file: /k }
jobs:
  a:
    source: { type: files, paths: [/data], exclude: ["", "ok"] }
    repositories: [main, nonexistent]
    retry: { backoff: 100000000000000d }
    hooks: { timeout: 99999999d }
  b:
    source: { type: files, paths: [/data] }
    repositories: [missing]
    schedule: "99 * * * *"
agent:
  listen: 0.0.0.0:99999
  grace_period: 100000000000000d
`;

it("lists every problem of a file at once, each with its line and key", async () => {
  const file = join(ws.dir, "cairn.yaml");
  writeFileSync(file, BROKEN);
  const r = await runCli(["config", "validate", "--config", file]);
  expect(r.code).toBe(2);
  const expected = [
    `${file}:2: repositories.main.url: "Bad_Bucket" in "s3://Bad_Bucket/x" is not a valid bucket name`,
    `${file}:3: repositories.other.url: unknown repository scheme "ftp:"`,
    `${file}:6: jobs.a.source.exclude.0: an exclude pattern must not be empty`,
    `${file}:7: jobs.a.repositories.1: no repository named "nonexistent"`,
    `${file}:8: jobs.a.retry.backoff: 100000000000000d is longer than 24d20h31m23s, the longest a timer can wait`,
    `${file}:9: jobs.a.hooks.timeout: 99999999d is longer than 24d20h31m23s`,
    `${file}:12: jobs.b.repositories.0: no repository named "missing"`,
    `${file}:13: jobs.b.schedule: expected a cron expression`,
    `${file}:15: agent.listen: expected a port from 1 to 65535`,
    `${file}:16: agent.grace_period: 100000000000000d is longer than 24d20h31m23s`,
  ];
  for (const line of expected) expect(r.stderr).toContain(line);
  expect(r.stderr).toContain(`${file}: ${expected.length} problem(s) in the config`);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
});
