import { afterAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { startHttpServer } from "../../src/agent/http-server.js";
import { AgentMetrics } from "../../src/agent/metrics.js";

describe("agent HTTP endpoints", () => {
  let server: Server;
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("/healthz answers, /readyz follows readiness, /metrics serves the job metrics", async () => {
    const metrics = new AgentMetrics();
    metrics.declareJob("app");
    let ready = false;
    server = await startHttpServer("127.0.0.1:0", metrics, () => ({
      ready,
      detail: { repositories: { r: { reachable: ready } } },
    }));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, repositories: { r: { reachable: false } } });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
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
    expect(text).toContain('cairn_job_runs_total{job="app",result="failure"} 0');
    expect(text).toContain('cairn_job_missed_runs_total{job="app"} 0');
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });
});
