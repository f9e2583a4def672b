import { afterAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { startHttpServer } from "../../src/agent/http-server.js";
import { AgentMetrics } from "../../src/agent/metrics/agent-metrics.js";

describe("agent HTTP endpoints", () => {
  let server: Server;
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("/healthz and /readyz answer their own probe (200 or 503, JSON), /metrics serves the job metrics", async () => {
    const metrics = new AgentMetrics();
    metrics.declareJob("app", { kind: "backup", maxAgeSeconds: 3600 });
    let alive = true;
    let ready = false;
    server = await startHttpServer("127.0.0.1:0", metrics, {
      liveness: () => ({ ok: alive, detail: { overdue: alive ? [] : ["app"] } }),
      readiness: () => ({ ok: ready, detail: { state: ready ? "running" : "starting" } }),
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ alive: true, overdue: [] });
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, state: "starting" });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    alive = false;
    const dead = await fetch(`${base}/healthz`);
    expect(dead.status).toBe(503);
    expect(await dead.json()).toEqual({ alive: false, overdue: ["app"] });
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      "cairn_job_last_success_timestamp_seconds",
      "cairn_job_last_run_duration_seconds",
      "cairn_backup_bytes_read_total",
      "cairn_backup_bytes_added_total",
      "cairn_backup_files_total",
      "cairn_repository_reachable",
      "cairn_prune_bytes_freed_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('cairn_job_runs_total{job_name="app",result="failure"} 0');
    expect(text).toContain('cairn_job_missed_runs_total{job_name="app"} 0');
    expect(text).toContain('cairn_job_info{job_name="app",kind="backup"} 1');
    expect(text).toContain('cairn_job_max_age_seconds{job_name="app"} 3600');
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });
});
