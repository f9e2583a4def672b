import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readState, recordRun, recordStart, takeInterruptedRuns } from "../../src/agent/state-file.js";

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "cairn-state-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (result: "success" | "failure", at: string) => ({
  result,
  startedAt: at,
  finishedAt: at,
  durationSeconds: 1,
  attempts: 1,
});

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, [
    "-e",
    "process.stdout.write(String(process.pid))",
  ]).stdout.toString() as unknown as number;
}

describe("state file", () => {
  it("a run's marker is written at its start and dropped when it is recorded", async () => {
    const file = join(dir, "a", "agent-state.json");
    await recordStart(file, "app", { startedAt: "2026-01-01T00:00:00.000Z", trigger: "schedule", runId: "r1" });
    expect((await readState(file)).jobs.app.running).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      runId: "r1",
    });
    await recordRun(file, "app", run("success", "2026-01-01T00:01:00.000Z"));
    const state = await readState(file);
    expect(state.jobs.app.running).toBeUndefined();
    expect(state.jobs.app.lastSuccess).toBe("2026-01-01T00:01:00.000Z");
  });

  it("writes from one process are queued: two jobs ending together both keep their entry", async () => {
    const file = join(dir, "b", "agent-state.json");
    await Promise.all(
      ["a", "b", "c", "d"].map((job) => recordRun(file, job, run("success", "2026-01-01T00:00:00.000Z"))),
    );
    expect(Object.keys((await readState(file)).jobs).sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("a dead process's marker becomes a failed, interrupted last run, once; a live process's is left alone", async () => {
    const file = join(dir, "c", "agent-state.json");
    const marker = (pid: number) => ({
      startedAt: "2026-01-01T00:00:00.000Z",
      pid,
      hostname: hostname(),
      trigger: "schedule",
      runId: "r",
    });
    await recordRun(file, "dead", run("success", "2025-12-31T00:00:00.000Z"));
    const state = await readState(file);
    state.jobs.dead.running = marker(deadPid());
    state.jobs.alive = { running: marker(process.ppid) }; // another live process: a `cairn run` next to the agent
    state.jobs.mine = { running: marker(process.pid) }; // a restarted container's process may get the dead one's pid
    await writeFile(file, JSON.stringify(state));
    const found = await takeInterruptedRuns(file);
    expect(found.map((f) => f.job).sort()).toEqual(["dead", "mine"]);
    const after = await readState(file);
    expect(after.jobs.dead.lastRun).toMatchObject({
      result: "failure",
      interrupted: true,
      startedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(after.jobs.dead.lastRun?.error).toContain("never finished");
    expect(after.jobs.dead.lastSuccess).toBe("2025-12-31T00:00:00.000Z");
    expect(after.jobs.alive.running?.pid).toBe(process.ppid);
    expect(await takeInterruptedRuns(file)).toEqual([]);
    const text = await readFile(file, "utf8");
    expect(await takeInterruptedRuns(file, "alive")).toEqual([]);
    expect(await readFile(file, "utf8")).toBe(text); // nothing to take: the file is not rewritten
  });
});
