import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { NotFoundError } from "../../core/errors.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "../storage.js";
import { parseBucketUrl, S3_BUCKET_NAME, type BucketLocation } from "../bucket-url.js";
import { KeyPrefix } from "../key-prefix.js";
import { PartReader } from "../part-reader.js";
import { assertRange, rangeHeader } from "../byte-range.js";
import { s3Error } from "./s3-error.js";
import { uploadMultipart } from "./s3-multipart.js";
import { md5Base64 } from "../md5.js";
import { S3_DEFAULT_PART_SIZE, validateS3Options, type S3Options } from "./s3-options.js";
import { mappedStream } from "../mapped-stream.js";
import { CONNECT_TIMEOUT_MS, DEFAULT_STORAGE_TIMEOUT_MS } from "../storage-timeout.js";

type WriteParams = Omit<PutObjectCommandInput, "Body" | "ContentLength" | "ContentMD5" | "IfNoneMatch">;

/**
 * A repository under `s3://bucket/prefix` on AWS S3 or an S3-compatible store.
 * The SDK's own retries are off (maxAttempts 1): RetryingStorage above owns
 * the one retry policy, so attempts do not multiply and Retry-After is honoured.
 *
 * @example
 * const s3 = S3Storage.fromUrl("s3://my-bucket/backups/app1", { storageClass: "STANDARD_IA", storageClassPrefixes: ["data/"] });
 */
export class S3Storage implements Storage {
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  readonly bucket: string;
  private readonly prefix: KeyPrefix;
  private readonly client: S3Client;
  private readonly o: S3Options;
  private readonly clock: Clock;

  constructor(location: BucketLocation, opts: S3Options = {}) {
    validateS3Options(opts);
    this.bucket = location.bucket;
    this.prefix = new KeyPrefix(location.prefix);
    this.name = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
    const endpoint = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.o = { ...opts, endpoint };
    this.clock = opts.clock ?? systemClock;
    // Conditional create is trusted on AWS itself; a custom endpoint must opt in,
    // since stores that ignore If-None-Match (s3rver, some Ceph) would report false wins.
    const conditionalCreate = opts.conditionalCreate ?? endpoint === undefined;
    this.capabilities = { conditionalCreate, objectLock: opts.objectLock !== undefined, atomicReplace: true };
    this.client = new S3Client(clientConfig(this.o));
  }

  /** `s3://bucket/prefix` with options. */
  static fromUrl(url: string, opts: S3Options = {}): S3Storage {
    return new S3Storage(parseBucketUrl(url, "s3", S3_BUCKET_NAME, "bucket"), opts);
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<void> {
    await this.write(key, body, false, opts.signal);
  }

  async putIfAbsent(key: string, body: PutBody, opts: PutOptions = {}): Promise<boolean> {
    if (!this.capabilities.conditionalCreate) {
      // Emulated (racy, by contract): enough to keep `init` from overwriting a repository.
      if (await this.head(key)) return false;
      await this.write(key, body, false, opts.signal);
      return true;
    }
    try {
      await this.write(key, body, true, opts.signal);
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 412) return false; // PreconditionFailed: already there
      throw err;
    }
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const name = this.prefix.name(this.name, key);
    if (range) assertRange(range);
    if (range?.length === 0) {
      if (!(await this.head(key))) throw new NotFoundError(this.name, key);
      return new Uint8Array(0);
    }
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: name, Range: range && rangeHeader(range) }),
        { abortSignal: signal },
      );
      // A Content-Range of `/0` means the object is empty, whatever Content-Length says
      // (s3rver answers a range on an empty object with length 1 and no bytes).
      if (!r.Body || r.ContentLength === 0 || r.ContentRange?.endsWith("/0")) return emptyBody(r.Body);
      return await r.Body.transformToByteArray();
    } catch (err) {
      // 416: the range starts at or past the end of an existing object, a short read of nothing.
      if (range && statusOf(err) === 416) return new Uint8Array(0);
      throw s3Error(this.name, this.bucket, key, err, signal, true);
    }
  }

  async getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const name = this.prefix.name(this.name, key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: name }), {
        abortSignal: signal,
      });
      const body = !r.Body || r.ContentLength === 0 ? [emptyBody(r.Body)] : (r.Body as AsyncIterable<Uint8Array>);
      return mappedStream(body, (err) => s3Error(this.name, this.bucket, key, err, signal));
    } catch (err) {
      throw s3Error(this.name, this.bucket, key, err, signal, true);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const name = this.prefix.name(this.name, key);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: name }));
      return { key, size: r.ContentLength ?? 0, mtime: r.LastModified ?? new Date(0) };
    } catch (err) {
      const mapped = s3Error(this.name, this.bucket, key, err, undefined, true);
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix.listPrefix(prefix),
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        )
        .catch((err: unknown) => {
          throw s3Error(this.name, this.bucket, undefined, err, signal);
        });
      for (const o of page.Contents ?? []) {
        // Folder markers (`x/`) made by consoles are not objects of the repository.
        if (!o.Key || o.Key.endsWith("/")) continue;
        yield { key: this.prefix.key(o.Key), size: o.Size ?? 0, mtime: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    const name = this.prefix.name(this.name, key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name })); // S3 deletes are idempotent
    } catch (err) {
      throw s3Error(this.name, this.bucket, key, err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async write(key: string, body: PutBody, ifNoneMatch: boolean, signal?: AbortSignal): Promise<void> {
    const params = this.writeParams(key);
    const md5 = (this.o.checksum ?? "md5") === "md5";
    try {
      const reader = new PartReader(body, this.o.partSize ?? S3_DEFAULT_PART_SIZE);
      const first = (await reader.next())!; // an empty body still yields one (empty) part
      if (!first.last) {
        const transient = (e: unknown) =>
          (s3Error(this.name, this.bucket, key, e) as { retryable?: boolean }).retryable === true;
        const job = {
          client: this.client,
          params,
          md5,
          ifNoneMatch,
          concurrency: this.o.partConcurrency ?? 2,
          signal,
          transient,
        };
        return await uploadMultipart(job, first, reader);
      }
      const bytes = first.bytes;
      const input = {
        ...params,
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: md5 ? md5Base64(bytes) : undefined,
        IfNoneMatch: ifNoneMatch ? "*" : undefined,
      };
      await this.client.send(new PutObjectCommand(input), { abortSignal: signal });
    } catch (err) {
      throw s3Error(this.name, this.bucket, key, err, signal);
    }
  }

  /** The headers every write carries: storage class (by key prefix), SSE, Object Lock. */
  private writeParams(key: string): WriteParams {
    const o = this.o;
    const classed =
      o.storageClass !== undefined &&
      (!o.storageClassPrefixes || o.storageClassPrefixes.some((p) => key.startsWith(p)));
    const lock = o.objectLock;
    return {
      Bucket: this.bucket,
      Key: this.prefix.name(this.name, key),
      StorageClass: classed ? (o.storageClass as PutObjectCommandInput["StorageClass"]) : undefined,
      ServerSideEncryption: o.sse,
      SSEKMSKeyId: o.sseKmsKeyId,
      ObjectLockMode: lock?.mode,
      ObjectLockRetainUntilDate: lock ? new Date(this.clock.now().getTime() + lock.retainForMs) : undefined,
    };
  }
}

function clientConfig(o: S3Options): S3ClientConfig {
  const endpoint = o.endpoint;
  const region =
    o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? "us-east-1" : undefined);
  const sdkChecksums = o.checksum === "sdk";
  const timeout = o.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS;
  return {
    region,
    endpoint,
    forcePathStyle: o.pathStyle ?? endpoint !== undefined,
    credentials: o.credentials,
    maxAttempts: 1,
    requestChecksumCalculation: sdkChecksums ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    responseChecksumValidation: sdkChecksums ? "WHEN_SUPPORTED" : "WHEN_REQUIRED",
    // A silent store fails a request after the storage timeout (socketTimeout: no byte either way) instead of
    // hanging a run; RetryingStorage takes it from there (docs/STORAGE.md §Timeouts).
    requestHandler: o.requestHandler ?? {
      connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, timeout),
      socketTimeout: timeout,
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * An empty object's body is never read: s3rver resets the connection under a
 * zero-length body read, and there is nothing to read anyway.
 */
function emptyBody(body: unknown): Uint8Array {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
  return new Uint8Array(0);
}
