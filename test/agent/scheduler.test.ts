import { Writable } from "node:stream";
import cron from "node-cron";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/agent/logger.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";
import { Scheduler } from "../../src/agent/scheduler.js";
import { nextRunOf } from "../../src/agent/next-run.js";

function until(cond: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((ok, fail) => {
    const poll = async () => {
      if (await cond()) return ok();
      if (Date.now() > end) return fail(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 50);
    };
    void poll();
  });
}

describe("Scheduler", () => {
  it("never runs a job twice at once: a slot during a run is skipped, counted and logged", async () => {
    let text = "";
    const log = createLogger("info", new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) }));
    const metrics = new AgentMetrics();
    const s = new Scheduler(log, metrics);
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let deadlineSeen: number | undefined;
    s.add("slow", "* * * * * *", "UTC", 0, false, async (deadline) => {
      started++;
      deadlineSeen = deadline;
      await gate;
    });
    const missed = async () =>
      (await metrics.missed.get()).values.find((v) => v.labels.job_name === "slow")?.value ?? 0;
    await until(async () => (await missed()) >= 1, "a missed run");
    expect(started).toBe(1);
    expect(s.isRunning("slow")).toBe(true);
    expect(deadlineSeen).toBeGreaterThan(Date.now() - 2000); // the next slot bounds retries
    expect(text).toContain('"event":"missed_run"');
    release();
    const running = await s.stop();
    await Promise.all(running);
    expect(s.isRunning("slow")).toBe(false);
  });

  it("a jittered run waits before it starts, and a slot during the wait is a missed run too", async () => {
    const metrics = new AgentMetrics();
    const s = new Scheduler(createLogger("silent"), metrics);
    let started = 0;
    // Jitter of a day: the first slot's run is (almost surely) still waiting when the next slot comes.
    s.add("jittery", "* * * * * *", "UTC", 86_400_000, false, async () => {
      started++;
    });
    const missed = async () =>
      (await metrics.missed.get()).values.find((v) => v.labels.job_name === "jittery")?.value ?? 0;
    await until(async () => (await missed()) >= 1, "a slot during the jitter wait");
    expect(started).toBe(0);
    await s.stop(); // clears the pending jitter timer: no run starts after stop
    expect(started).toBe(0);
  });

  it("after a reload, a run started by the old scheduler still blocks the job in the new one", async () => {
    const metrics = new AgentMetrics();
    const s = new Scheduler(createLogger("silent"), metrics);
    let started = 0;
    s.add("carried", "* * * * * *", "UTC", 0, false, async () => {
      started++;
    });
    let release!: () => void;
    s.adopt("carried", new Promise<void>((r) => (release = r)));
    const missed = async () =>
      (await metrics.missed.get()).values.find((v) => v.labels.job_name === "carried")?.value ?? 0;
    await until(async () => (await missed()) >= 1, "a slot while the carried run goes on");
    expect(started).toBe(0);
    release();
    await until(() => started >= 1, "the first run after the carried one ended");
    await Promise.all(await s.stop());
  });

  it("run_on_start runs once at start even without a schedule", async () => {
    const s = new Scheduler(createLogger("silent"), new AgentMetrics());
    const triggers: string[] = [];
    s.add("once", undefined, undefined, 0, true, async (_d, trigger) => {
      triggers.push(trigger);
    });
    await until(() => triggers.length === 1, "the start run");
    expect(triggers).toEqual(["start"]);
    expect(s.nextRun("once")).toBeNull();
    await s.stop();
  });

  it("liveness: a slot the cron timer never fires is overdue; one it fires is not", async () => {
    const s = new Scheduler(createLogger("silent"), new AgentMetrics());
    let runs = 0;
    s.add("ticking", "* * * * * *", "UTC", 0, false, async () => {
      runs++;
    });
    s.add("dead", "* * * * * *", "UTC", 0, false, async () => {});
    await until(() => runs >= 2, "two slots of the ticking entry");
    expect(s.overdue(60_000)).toEqual([]);
    // The dead entry's cron timer stops behind the scheduler's back, as a crashed timer would.
    for (const task of cron.getTasks().values()) if (task.name === "dead") await task.stop();
    await until(() => s.overdue(0).includes("dead"), "the dead entry's slot to pass unfired");
    expect(s.overdue(60_000)).toEqual([]); // within the slack: not yet a reason to restart
    await s.stop();
    expect(s.overdue(0)).toEqual([]); // a stopped scheduler is shutting down, not dead
  });

  it("computes the next run in the job's time zone", () => {
    const next = nextRunOf("0 3 * * *", "Asia/Tokyo");
    expect(next).not.toBeNull();
    const hour = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", hourCycle: "h23" }).format(
      next!,
    );
    expect(hour).toBe("03");
    expect(next!.getUTCHours()).toBe(18);
  });
});
