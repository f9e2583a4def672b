/**
 * `cairn drill --config F JOB` as a user runs it: a files drill of the job's
 * newest snapshot exits 0 and shows in `cairn status` (text and --json, with
 * each backup job's snapshot age); after one data pack of that snapshot is
 * damaged the same drill exits 1, the failure notification names the pack,
 * and no temporary directory is left. (Database drills: test/drill/.)
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flipBit, objectsOfKind } from "./helpers/damage-repo.js";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, type Workspace } from "./helpers/workspace.js";
import { startPingServer, type PingServer } from "../helpers/ping-server.js";

let ws: Workspace & { recipient: string };
let config: string;
let server: PingServer | undefined;

function runLine(stdout: string): Record<string, unknown> {
  const line = stdout
    .split("\n")
    .filter((l) => l.includes('"event":"job_run"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
  if (!line) throw new Error(`no job_run line in:\n${stdout}`);
  return line;
}

beforeAll(async () => {
  ws = await initWorkspace("drill");
  for (let i = 0; i < 6; i++) await writeFile(join(ws.src, `f${i}.txt`), `content ${i}\n`.repeat(500 * (i + 1)));
  await mkdir(join(ws.dir, "scratch"));
  server = await startPingServer();
  const url = server.url;
  config = join(ws.dir, "cairn.yaml");
  await writeFile(
    config,
    `repositories:
  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey}, identity_file: ${ws.identity} }
jobs:
  files:
    source: { type: files, paths: [${ws.src}] }
    repositories: [main]
    max_age: 1h
  drill-files:
    drill: { job: files, scratch_dir: ${join(ws.dir, "scratch")} }
    notify: { on_failure: "${url}/fail" }
agent:
  cache_dir: ${ws.cache}
`,
  );
  await cliOk(["run", "--config", config, "files"]);
}, 30_000);

afterAll(async () => {
  await server?.close();
  await ws?.cleanup();
});

describe("cairn drill", () => {
  it("restores and verifies the job's newest snapshot (exit 0); status shows the last drill and the snapshot's age", async () => {
    const r = await runCli(["drill", "--config", config, "drill-files"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(runLine(r.stdout)).toMatchObject({ result: "success", drilled_job: "files", files: 6 });
    expect(await readdir(join(ws.dir, "scratch"))).toEqual([]);
    const json = await cliOk(["status", "--config", config, "--json"]);
    type Job = {
      name: string;
      lastRun: { drill?: Record<string, unknown> } | null;
      snapshots: { repository: string; ageSeconds: number | null; stale: boolean }[];
      maxAgeSeconds: number | null;
    };
    const jobs = Object.fromEntries((JSON.parse(json.stdout) as { jobs: Job[] }).jobs.map((j) => [j.name, j]));
    expect(jobs["drill-files"].lastRun?.drill).toMatchObject({
      job: "files",
      repository: "main",
      mode: "files",
      files: 6,
    });
    expect(jobs.files.maxAgeSeconds).toBe(3600);
    expect(jobs.files.snapshots).toEqual([expect.objectContaining({ repository: "main", stale: false })]);
    expect(jobs.files.snapshots[0].ageSeconds).toBeGreaterThanOrEqual(0);
    expect(jobs.files.snapshots[0].ageSeconds).toBeLessThan(600);
    const text = await cliOk(["status", "--config", config]);
    expect(text.stdout).toContain("drill-files (drill of files): last run success");
    expect(text.stdout).toMatch(/last drill: restored 6 files, .* from main/);
    expect(text.stdout).toMatch(/newest snapshot in main: [0-9a-f]{8} at \S+ \(age \d+s\)\n/);
  }, 30_000);

  it("a damaged data pack fails the drill (exit 1); the notification names the pack; nothing is left behind", async () => {
    const packs = objectsOfKind(ws.repo, "data pack");
    for (const p of packs) flipBit(ws.repo, p);
    const r = await runCli(["drill", "--config", config, "drill-files"]);
    expect(r.code).toBe(1);
    const fail = server!.pings.at(-1);
    expect(fail).toMatchObject({
      path: "/fail",
      body: { job: "drill-files", result: "failure", drilled_job: "files" },
    });
    expect(packs).toContain(fail?.body.damaged_object);
    expect(String(fail?.body.error)).toContain(String(fail?.body.damaged_object));
    expect(await readdir(join(ws.dir, "scratch"))).toEqual([]);
    const text = await runCli(["status", "--config", config]);
    expect(text.code, "status exits 5: a job's last run failed").toBe(5);
    expect(text.stdout).toContain(
      `last drill: FAILED (drill of files); damaged object ${String(fail?.body.damaged_object)}`,
    );
    expect(text.stdout).toMatch(/problems \(exit 5\):\n {2}job drill-files's last run failed: /);
  }, 30_000);
});
