import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { UsageError } from "../../core/errors.js";
import type { Clock } from "../../core/clock.js";

/**
 * How PUTs carry an integrity checksum (every write is verified in transit):
 * - `md5` (default): cairn computes Content-MD5 for every PutObject and
 *   UploadPart; the SDK adds its own checksums only where an operation
 *   requires one. Understood by every S3-compatible store, and satisfies the
 *   checksum AWS demands for Object Lock writes.
 * - `sdk`: the SDK's defaults (CRC32, sent as an aws-chunked trailer for
 *   streamed bodies). Fine on AWS; some S3-compatible stores (s3rver, older
 *   MinIO/Ceph) store aws-chunked bodies undecoded and hand back corrupt bytes.
 * - `off`: no checksum header (only for stores that reject Content-MD5).
 */
export type S3ChecksumMode = "md5" | "sdk" | "off";
export const S3_CHECKSUM_MODES: readonly S3ChecksumMode[] = ["md5", "sdk", "off"];

export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";
export const OBJECT_LOCK_MODES: readonly ObjectLockMode[] = ["GOVERNANCE", "COMPLIANCE"];

export type S3Sse = "AES256" | "aws:kms" | "aws:kms:dsse";
export const S3_SSE_MODES: readonly S3Sse[] = ["AES256", "aws:kms", "aws:kms:dsse"];

export interface S3Options {
  /** Defaults to AWS_REGION / AWS_DEFAULT_REGION / the profile; "us-east-1" with a custom endpoint. */
  region?: string;
  /** S3-compatible endpoint (MinIO, R2, Wasabi, Ceph); defaults to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`); defaults to on with a custom endpoint. */
  pathStyle?: boolean;
  /** Explicit credentials; by default the standard AWS credential chain. */
  credentials?: S3ClientConfig["credentials"];
  checksum?: S3ChecksumMode;
  /** Storage class for objects whose key starts with one of `storageClassPrefixes` (all keys when unset). */
  storageClass?: string;
  storageClassPrefixes?: readonly string[];
  /** Server-side encryption header passed through on every write. */
  sse?: S3Sse;
  sseKmsKeyId?: string;
  /** Object Lock retention set on every object written (the bucket must have Object Lock enabled). */
  objectLock?: { mode: ObjectLockMode; retainForMs: number };
  /** The store enforces `If-None-Match: *` on PUT (AWS since 2024, MinIO, R2); off for s3rver. */
  conditionalCreate?: boolean;
  /** Objects up to this size go in one PUT; larger ones as multipart in parts of this size. */
  partSize?: number;
  /** Parts of one multipart upload in flight at once. */
  partConcurrency?: number;
  /** A request with no byte either way for this long fails, transiently (default DEFAULT_STORAGE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Replaces the HTTP handler (tests capture requests or inject faults with it). */
  requestHandler?: S3ClientConfig["requestHandler"];
  /** Source of "now" for Object Lock retain-until dates. */
  clock?: Clock;
}

const MiB = 1024 * 1024;
// S3's minimum part size is 5 MiB; 32 MiB keeps cairn's 16-24 MiB packs in a
// single PUT (one request, one checksum) while multipart still bounds memory.
export const S3_DEFAULT_PART_SIZE = 32 * MiB;
export const S3_MIN_PART_SIZE = 5 * MiB;
// 10,000 parts is S3's limit; at 32 MiB that is ~312 GiB per object, far above any pack.
export const S3_MAX_PARTS = 10_000;

// Archive classes need a restore request before any GET: a repository stored
// there cannot be checked, pruned or restored by cairn directly.
const ARCHIVE_CLASSES = new Set(["GLACIER", "DEEP_ARCHIVE"]);

/** Rejects option combinations that would fail on the first write, with what to change. */
export function validateS3Options(o: S3Options): void {
  if (o.checksum !== undefined && !S3_CHECKSUM_MODES.includes(o.checksum)) {
    throw new UsageError(`unknown S3 checksum mode ${JSON.stringify(o.checksum)}`, {
      hint: `use one of ${S3_CHECKSUM_MODES.join(", ")}`,
    });
  }
  if (o.storageClass !== undefined && ARCHIVE_CLASSES.has(o.storageClass.toUpperCase())) {
    throw new UsageError(`storage class ${o.storageClass} needs a restore request before every read`, {
      hint: "use an instant-access class such as STANDARD_IA or GLACIER_IR; move old data to archive tiers with a lifecycle rule only if you accept manual restores",
    });
  }
  if (o.objectLock) validateObjectLock(o.objectLock, o.checksum);
  if (o.partSize !== undefined && !(Number.isSafeInteger(o.partSize) && o.partSize >= S3_MIN_PART_SIZE)) {
    throw new UsageError(`S3 part size must be at least 5 MiB, got ${o.partSize}`);
  }
  if (o.sseKmsKeyId !== undefined && o.sse !== "aws:kms" && o.sse !== "aws:kms:dsse") {
    throw new UsageError("a KMS key id needs --s3-sse aws:kms (or aws:kms:dsse)");
  }
}

function validateObjectLock(lock: NonNullable<S3Options["objectLock"]>, checksum: S3ChecksumMode | undefined): void {
  if (lock.mode !== "GOVERNANCE" && lock.mode !== "COMPLIANCE") {
    throw new UsageError(`unknown Object Lock mode ${JSON.stringify(lock.mode)}`, {
      hint: "use GOVERNANCE or COMPLIANCE",
    });
  }
  if (!(lock.retainForMs > 0))
    throw new UsageError("Object Lock needs a positive retain-for duration (e.g. --retain-for 30d)");
  // AWS rejects an Object Lock PUT that carries no checksum header.
  if (checksum === "off")
    throw new UsageError("Object Lock writes need a checksum", { hint: "use --s3-checksum md5 (the default)" });
}
