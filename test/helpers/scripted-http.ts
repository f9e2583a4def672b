/**
 * A scripted HTTP server on 127.0.0.1 for request-shape tests of SDKs whose
 * HTTP layer is awkward to replace: the SDK really sends its requests, the
 * server records them and answers from a script.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface ScriptedServer {
  endpoint: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function scriptedServer(reply: (req: RecordedRequest) => Reply): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      requests.push(recorded);
      const r = reply(recorded);
      const body = r.body ?? "";
      res.writeHead(r.status, { "content-length": String(Buffer.byteLength(body)), ...r.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
