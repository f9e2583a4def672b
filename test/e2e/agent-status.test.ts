/**
 * `cairn status` exit codes with the real CLI (docs/CONFIG.md §`cairn run` and
 * `cairn status`): 0 when all is well, 6 when a snapshot is older than its
 * job's max_age, 4 when a repository is unreachable (the lowest code wins and
 * every problem is listed); 5, a failed last run, is in cli-drill.test.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;

function config(name: string, o: { maxAge: string; extraRepo?: boolean }): string {
  const file = join(ws.dir, name);
  writeFileSync(
    file,
    `repositories:
  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey} }
${o.extraRepo ? `  gone: { url: ${join(ws.dir, "empty")} }\n` : ""}jobs:
  files: { source: { type: files, paths: [${ws.src}] }, repositories: [main], max_age: ${o.maxAge} }
agent:
  cache_dir: ${ws.cache}
`,
  );
  return file;
}

beforeAll(async () => {
  ws = await initWorkspace("status");
  writeFileSync(join(ws.src, "a.txt"), "a\n");
  mkdirSync(join(ws.dir, "empty"));
  await cliOk(["run", "--config", config("fresh.yaml", { maxAge: "1h" }), "files"]);
}, 30_000);

afterAll(() => ws?.cleanup());

describe("cairn status exit codes", () => {
  it("0 when every repository answers and every snapshot is within max_age", async () => {
    const r = await runCli(["status", "--config", join(ws.dir, "fresh.yaml"), "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { problems: unknown[] }).problems).toEqual([]);
  });

  it("6 when the newest snapshot is older than max_age", async () => {
    const r = await runCli(["status", "--config", config("stale.yaml", { maxAge: "1ms" })]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toContain("problems (exit 6):");
    expect(r.stdout).toContain("job files's newest snapshot in main is older than its max_age of 0.001 s");
  });

  it("4 when a repository is unreachable, with every problem listed in --json", async () => {
    const r = await runCli(["status", "--config", config("gone.yaml", { maxAge: "1ms", extraRepo: true }), "--json"]);
    expect(r.code, r.stderr).toBe(4);
    const problems = (JSON.parse(r.stdout) as { problems: { kind: string; repository?: string }[] }).problems;
    expect(problems.map((p) => [p.kind, p.repository])).toEqual([
      ["unreachable", "gone"],
      ["stale", "main"],
    ]);
  });
});
