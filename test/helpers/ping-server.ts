import { createServer } from "node:http";

export interface Ping {
  path: string;
  body: Record<string, unknown>;
}

export interface PingServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (append a path per notification kind). */
  url: string;
  /** Every notification received, in order (JSON bodies). */
  pings: Ping[];
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint standing in for a health-check service: records each
 * notification the agent POSTs. `status` picks the answer per path (default
 * 200), so tests can make one endpoint fail.
 */
export function startPingServer(status: (path: string) => number = () => 200): Promise<PingServer> {
  const pings: Ping[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = req.url ?? "";
      pings.push({ path, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(status(path)).end("ok");
    });
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        pings,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}
