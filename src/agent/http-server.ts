import { createServer, type Server } from "node:http";
import type { AgentMetrics } from "./metrics.js";

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

/**
 * /healthz: the process is alive and its event loop answers. /readyz: a
 * config is loaded and every repository answered the last check (503 with
 * the reasons otherwise). /metrics: Prometheus text format.
 */
export async function startHttpServer(
  listen: string,
  metrics: AgentMetrics,
  readiness: () => Readiness,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    if (path === "/healthz") return send(200, "text/plain", "ok\n");
    if (path === "/readyz") {
      const r = readiness();
      return send(r.ready ? 200 : 503, "application/json", JSON.stringify({ ready: r.ready, ...r.detail }) + "\n");
    }
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
