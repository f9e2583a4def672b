import { createServer, type Server } from "node:http";
import type { AgentMetrics } from "./metrics/agent-metrics.js";

/** One probe's answer: 200 when `ok`, else 503; `detail` goes into the JSON body either way. */
export interface ProbeResult {
  ok: boolean;
  detail: Record<string, unknown>;
}

/** What the probes ask the agent (src/agent/agent.ts says what alive and ready mean). */
export interface Probes {
  liveness(): ProbeResult;
  readiness(): ProbeResult;
}

/**
 * /healthz (liveness), /readyz (readiness), each 200 or 503 with a JSON body;
 * /metrics: Prometheus text format. Neither probe depends on storage: a
 * repository that does not answer is a metric and an alert, never a reason for
 * Kubernetes to restart the sidecar or take the application out of its Service.
 */
export async function startHttpServer(listen: string, metrics: AgentMetrics, probes: Probes): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const probe = (key: "alive" | "ready", r: ProbeResult) =>
      send(r.ok ? 200 : 503, "application/json", JSON.stringify({ [key]: r.ok, ...r.detail }) + "\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    if (path === "/healthz") return probe("alive", probes.liveness());
    if (path === "/readyz") return probe("ready", probes.readiness());
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => send(200, metrics.registry.contentType, text),
        (e: Error) => send(500, "text/plain", `${e.message}\n`),
      );
      return;
    }
    send(404, "text/plain", "not found: try /healthz, /readyz or /metrics\n");
  });
  const { host, port } = splitListen(listen);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  return server;
}

export function splitListen(listen: string): { host: string | undefined; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? undefined : host, port: Number(listen.slice(i + 1)) };
}
