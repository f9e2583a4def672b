import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NotFoundError, StorageError, UsageError } from "../../../src/core/errors.js";
import { S3Storage } from "../../../src/storage/s3/s3-storage.js";
import type { S3Options } from "../../../src/storage/s3/s3-options.js";
import { captureHandler, okResponder, s3ErrorResponse, type Responder } from "../../helpers/s3-capture.js";

const MiB = 1024 * 1024;
const NOW = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => NOW, sleep: async () => {} };
const creds = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };

function storage(opts: S3Options = {}, respond: Responder = okResponder) {
  const { requests, handler } = captureHandler(respond);
  const s = S3Storage.fromUrl("s3://my-bucket/backups/app1", {
    endpoint: "http://127.0.0.1:9",
    region: "eu-west-1",
    credentials: creds,
    clock,
    requestHandler: handler,
    ...opts,
  });
  return { s, requests };
}

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("base64");

describe("S3Storage requests (headers emulators ignore)", () => {
  it("puts with Content-MD5, path-style under the prefix, and no aws-chunked body", async () => {
    const { s, requests } = storage();
    const body = Buffer.from("pack bytes");
    await s.put("data/ab/abcd", body);
    const [r] = requests;
    expect(r.method).toBe("PUT");
    expect(r.path).toBe("/my-bucket/backups/app1/data/ab/abcd");
    expect(r.headers["content-md5"]).toBe(md5(body));
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(Object.keys(r.headers).filter((h) => h.startsWith("x-amz-checksum-"))).toEqual([]);
    expect(r.body.equals(body)).toBe(true);
  });

  it("sets Object Lock, SSE-KMS and the storage class (data keys only) on every write", async () => {
    const day = 86_400_000;
    const { s, requests } = storage({
      objectLock: { mode: "COMPLIANCE", retainForMs: 30 * day },
      sse: "aws:kms",
      sseKmsKeyId: "arn:aws:kms:eu-west-1:111122223333:key/k1",
      storageClass: "GLACIER_IR",
      storageClassPrefixes: ["data/"],
    });
    expect(s.capabilities.objectLock).toBe(true);
    await s.put("data/ab/abcd", Buffer.from("x"));
    await s.put("index/ef01", Buffer.from("y"));
    const [data, index] = requests;
    for (const r of [data, index]) {
      expect(r.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
      expect(new Date(r.headers["x-amz-object-lock-retain-until-date"]).getTime()).toBe(NOW.getTime() + 30 * day);
      expect(r.headers["x-amz-server-side-encryption"]).toBe("aws:kms");
      expect(r.headers["x-amz-server-side-encryption-aws-kms-key-id"]).toBe(
        "arn:aws:kms:eu-west-1:111122223333:key/k1",
      );
      expect(r.headers["content-md5"]).toBeDefined(); // AWS refuses Object Lock PUTs without a checksum
    }
    expect(data.headers["x-amz-storage-class"]).toBe("GLACIER_IR");
    expect(index.headers["x-amz-storage-class"]).toBeUndefined();
  });

  it("sends If-None-Match: * for conditional create and reads 412 as 'already there'", async () => {
    const { s, requests } = storage({ conditionalCreate: true }, (req) =>
      req.path.endsWith("/config") ? s3ErrorResponse(412, "PreconditionFailed") : okResponder(req),
    );
    expect(s.capabilities.conditionalCreate).toBe(true);
    expect(await s.putIfAbsent("config", Buffer.from("c"))).toBe(false);
    expect(await s.putIfAbsent("keys/k1", Buffer.from("k"))).toBe(true);
    expect(requests.map((r) => [r.method, r.headers["if-none-match"]])).toEqual([
      ["PUT", "*"],
      ["PUT", "*"],
    ]);
  });

  it("emulates conditional create with head + put when the store does not enforce it", async () => {
    const { s, requests } = storage({ conditionalCreate: false }, (req) =>
      req.method === "HEAD" ? { status: 404 } : okResponder(req),
    );
    expect(await s.putIfAbsent("config", Buffer.from("c"))).toBe(true);
    expect(requests.map((r) => r.method)).toEqual(["HEAD", "PUT"]);
    expect(requests[1].headers["if-none-match"]).toBeUndefined();
  });

  it("uploads large bodies as multipart: headers on create, MD5 per part, If-None-Match on complete", async () => {
    const { s, requests } = storage({
      partSize: 5 * MiB,
      conditionalCreate: true,
      storageClass: "STANDARD_IA",
      objectLock: { mode: "GOVERNANCE", retainForMs: 1000 },
    });
    const body = Buffer.alloc(12 * MiB, 7);
    await s.putIfAbsent("data/ab/big", async function* () {
      yield body.subarray(0, 1 * MiB);
      yield body.subarray(1 * MiB);
    });
    const [create, ...rest] = requests;
    const parts = rest.filter((r) => r.query.partNumber !== undefined);
    const complete = rest.at(-1)!;
    expect(create.method).toBe("POST");
    expect(create.query).toHaveProperty("uploads");
    expect(create.headers["x-amz-storage-class"]).toBe("STANDARD_IA");
    expect(create.headers["x-amz-object-lock-mode"]).toBe("GOVERNANCE");
    expect(parts.map((p) => p.body.length).sort((a, b) => b - a)).toEqual([5 * MiB, 5 * MiB, 2 * MiB]);
    for (const p of parts) expect(p.headers["content-md5"]).toBe(md5(p.body));
    expect(complete.headers["if-none-match"]).toBe("*");
    expect(complete.body.toString()).toMatch(
      /<PartNumber>1<\/PartNumber>.*<PartNumber>2<\/PartNumber>.*<PartNumber>3<\/PartNumber>/s,
    );
  });

  it("aborts a multipart upload whose part fails", async () => {
    const { s, requests } = storage({ partSize: 5 * MiB }, (req) =>
      req.query.partNumber === "2" ? s3ErrorResponse(400, "InvalidDigest") : okResponder(req),
    );
    await expect(s.put("data/ab/big", Buffer.alloc(11 * MiB))).rejects.toBeInstanceOf(StorageError);
    const abort = requests.find((r) => r.method === "DELETE");
    expect(abort?.query.uploadId).toBe("upload-1");
    expect(requests.some((r) => r.method === "POST" && "uploadId" in r.query)).toBe(false); // never completed
  });

  it("re-sends only the part that failed transiently, without aborting the upload", async () => {
    let failed = false;
    const { s, requests } = storage({ partSize: 5 * MiB }, (req) => {
      if (req.query.partNumber === "2" && !failed) {
        failed = true;
        return s3ErrorResponse(503, "SlowDown");
      }
      return okResponder(req);
    });
    await s.put("data/ab/big", Buffer.alloc(11 * MiB));
    const parts = requests.filter((r) => r.query.partNumber !== undefined).map((r) => r.query.partNumber);
    expect(parts.sort()).toEqual(["1", "2", "2", "3"]);
    expect(requests.some((r) => r.method === "DELETE")).toBe(false);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(2); // create + complete, once each
  });

  it("asks for explicit byte ranges, never suffix ranges", async () => {
    const { s, requests } = storage({}, () => ({
      status: 206,
      headers: { "content-range": "bytes 5-14/100", "content-length": "10" },
      body: "0123456789",
    }));
    expect(Buffer.from(await s.get("data/ab/x", { offset: 5, length: 10 })).toString()).toBe("0123456789");
    expect(requests[0].headers.range).toBe("bytes=5-14");
  });

  it.each([
    ["off", undefined],
    ["sdk", "x-amz-checksum-crc32"],
  ] as const)("checksum mode %s", async (mode, header) => {
    const { s, requests } = storage({ checksum: mode });
    await s.put("data/ab/x", Buffer.from("abc"));
    expect(requests[0].headers["content-md5"]).toBeUndefined();
    expect(requests[0].headers["content-encoding"]).toBeUndefined();
    const sums = Object.keys(requests[0].headers).filter((h) => h.startsWith("x-amz-checksum-"));
    expect(sums).toEqual(header ? [header] : []);
  });
});

describe("S3Storage errors", () => {
  const failing = (status: number, code: string, headers?: Record<string, string>) =>
    storage({}, () => s3ErrorResponse(status, code, headers)).s;

  it("marks throttling retryable and carries Retry-After", async () => {
    const err = (await failing(503, "SlowDown", { "retry-after": "2" })
      .put("data/x", Buffer.from("x"))
      .catch((e: unknown) => e)) as StorageError;
    expect(err).toBeInstanceOf(StorageError);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.message).toMatch(/s3:\/\/my-bucket\/backups\/app1 data\/x: 503 SlowDown/);
  });

  it.each([
    [500, "InternalError"],
    [429, "TooManyRequests"],
    [400, "RequestTimeout"],
  ])("retries %i %s", async (status, code) => {
    const err = (await failing(status, code)
      .get("data/x")
      .catch((e: unknown) => e)) as StorageError;
    expect(err.retryable).toBe(true);
  });

  it.each([
    [403, "AccessDenied", /access to bucket my-bucket was denied/],
    [404, "NoSuchBucket", /bucket my-bucket does not exist/],
    [403, "InvalidAccessKeyId", /AWS_ACCESS_KEY_ID/],
    [403, "SignatureDoesNotMatch", /AWS_SECRET_ACCESS_KEY/],
  ])("fails fast on %i %s with a hint naming what to fix", async (status, code, hint) => {
    const err = (await failing(status, code)
      .put("config", Buffer.from("x"))
      .catch((e: unknown) => e)) as StorageError;
    expect(err).toBeInstanceOf(StorageError);
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(hint);
    expect(err.message).toContain("s3://my-bucket/backups/app1 config");
  });

  it("maps NoSuchKey to NotFoundError and a missing object's HEAD to undefined", async () => {
    const { s } = storage({}, (req) => (req.method === "HEAD" ? { status: 404 } : s3ErrorResponse(404, "NoSuchKey")));
    await expect(s.get("data/x")).rejects.toBeInstanceOf(NotFoundError);
    expect(await s.head("data/x")).toBeUndefined();
  });

  it("refuses options that would fail on the first write", () => {
    expect(() => S3Storage.fromUrl("s3://b-1/x", { storageClass: "DEEP_ARCHIVE" })).toThrow(UsageError);
    expect(() =>
      S3Storage.fromUrl("s3://b-1/x", { objectLock: { mode: "COMPLIANCE", retainForMs: 1 }, checksum: "off" }),
    ).toThrow(/checksum/);
    expect(() => S3Storage.fromUrl("s3://b-1/x", { partSize: MiB })).toThrow(/5 MiB/);
    expect(() => S3Storage.fromUrl("s3://Bad_Bucket/x")).toThrow(/not a valid bucket name/);
    expect(() => S3Storage.fromUrl("s3://b-1/x?region=1")).toThrow(UsageError);
  });
});
