import { createServer, type IncomingHttpHeaders } from "node:http";

export interface Received {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:41234; append the path a service would have. */
  url: string;
  received: Received[];
  /** The body of request `i` as JSON. */
  json(i: number): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint standing in for Slack, Discord, Teams, ntfy, Gotify or
 * healthchecks.io: records each request as sent (method, path, query,
 * headers, raw body), so a test checks the payload shape the service
 * documents. `status` picks the answer per path (default 200).
 */
export function startWebhookReceiver(status: (path: string) => number = () => 200): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://receiver");
      received.push({
        method: req.method ?? "",
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(status(u.pathname)).end("OK");
    });
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        received,
        json: (i) => JSON.parse(received[i].body) as Record<string, unknown>,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}
