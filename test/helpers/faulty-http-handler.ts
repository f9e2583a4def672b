/**
 * An S3 HTTP handler that injects transport and service faults between the
 * SDK and a real endpoint (s3rver): connection resets before sending or after
 * the store already applied the request (a lost reply), timeouts, 500, 503
 * SlowDown and 429 with Retry-After. It records which writes reached the store
 * so a test can tell a needed re-upload from a needless one.
 */
import { Readable } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { S3ClientConfig } from "@aws-sdk/client-s3";

export type HttpFault = "reset" | "lost-reply" | "timeout" | "500" | "503-slowdown" | "429-retry-after";
export const HTTP_FAULTS: readonly HttpFault[] = [
  "reset",
  "lost-reply",
  "timeout",
  "500",
  "503-slowdown",
  "429-retry-after",
];

interface Req {
  method: string;
  path: string;
  query?: Record<string, unknown>;
}

export class FaultyHttpHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  readonly injected: { fault: HttpFault; method: string; path: string }[] = [];
  /** PUT paths the store answered 2xx to, in order (a lost reply still counts: the store has it). */
  readonly delivered: string[] = [];
  /** PUT paths whose reply was lost after the store applied them. */
  readonly lostReplies: string[] = [];
  private readonly inner = new NodeHttpHandler({ connectionTimeout: 5_000, socketTimeout: 30_000 });

  constructor(private readonly plan: (req: Req, n: number) => HttpFault | undefined) {}

  private calls = 0;

  async handle(request: Req & Record<string, unknown>, options?: { abortSignal?: AbortSignal }) {
    const fault = this.plan(request, this.calls++);
    if (fault) this.injected.push({ fault, method: request.method, path: request.path });
    if (fault === "reset") throw Object.assign(new Error("socket hang up (injected)"), { code: "ECONNRESET" });
    if (fault === "timeout") throw Object.assign(new Error("request timed out (injected)"), { name: "TimeoutError" });
    if (fault === "500") return synthetic(500, "InternalError");
    if (fault === "503-slowdown") return synthetic(503, "SlowDown");
    if (fault === "429-retry-after") return synthetic(429, "TooManyRequests", { "retry-after": "1" });
    const result = await this.inner.handle(request as never, options);
    const ok = result.response.statusCode >= 200 && result.response.statusCode < 300;
    if (request.method === "PUT" && ok) this.delivered.push(request.path);
    if (fault === "lost-reply") {
      (result.response.body as Readable | undefined)?.destroy?.();
      if (request.method === "PUT" && ok) this.lostReplies.push(request.path);
      throw Object.assign(new Error("connection reset after the request was sent (injected)"), { code: "ECONNRESET" });
    }
    return result;
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
  destroy(): void {
    this.inner.destroy();
  }

  asRequestHandler(): NonNullable<S3ClientConfig["requestHandler"]> {
    return this as unknown as NonNullable<S3ClientConfig["requestHandler"]>;
  }
}

function synthetic(status: number, code: string, headers: Record<string, string> = {}) {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected ${code}</Message></Error>`;
  return {
    response: {
      statusCode: status,
      reason: code,
      headers: { "content-type": "application/xml", ...headers },
      body: Readable.from([Buffer.from(body)]),
    },
  };
}
