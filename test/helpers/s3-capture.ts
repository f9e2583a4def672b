/**
 * An S3 HTTP handler for request-shape tests: records every request the SDK
 * would send (method, path, query, headers, body) and answers from a script,
 * so headers an emulator ignores (If-None-Match, Object Lock, SSE, storage
 * class, checksums) are asserted on the wire format itself.
 */
import { Readable } from "node:stream";
import type { S3ClientConfig } from "@aws-sdk/client-s3";

export interface CapturedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Responder = (req: CapturedRequest) => ScriptedResponse;

/** 200 with an ETag for writes, the minimal XML for multipart calls, 204 for abort/delete. */
export const okResponder: Responder = (req) => {
  if (req.method === "POST" && "uploads" in req.query) {
    return {
      status: 200,
      body: `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>`,
    };
  }
  if (req.method === "POST" && "uploadId" in req.query) {
    return {
      status: 200,
      body: `<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"e"</ETag></CompleteMultipartUploadResult>`,
    };
  }
  if (req.method === "DELETE") return { status: 204 };
  return { status: 200, headers: { etag: `"etag-${req.query.partNumber ?? "0"}"` } };
};

export function s3ErrorResponse(status: number, code: string, headers: Record<string, string> = {}): ScriptedResponse {
  return {
    status,
    headers,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (scripted)</Message></Error>`,
  };
}

export function captureHandler(respond: Responder = okResponder): {
  requests: CapturedRequest[];
  handler: NonNullable<S3ClientConfig["requestHandler"]>;
} {
  const requests: CapturedRequest[] = [];
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: {
      method: string;
      path: string;
      query?: Record<string, unknown>;
      headers: Record<string, string>;
      body?: unknown;
    }) {
      const captured: CapturedRequest = {
        method: request.method,
        path: request.path,
        query: request.query ?? {},
        headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
        body: await bodyBytes(request.body),
      };
      requests.push(captured);
      const r = respond(captured);
      return {
        response: {
          statusCode: r.status,
          reason: "",
          headers: r.headers ?? {},
          body: Readable.from([Buffer.from(r.body ?? "")]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return { requests, handler: handler as unknown as NonNullable<S3ClientConfig["requestHandler"]> };
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string" || body instanceof Uint8Array) return Buffer.from(body);
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}
