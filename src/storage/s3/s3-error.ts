import { NotFoundError, StorageError } from "../../core/errors.js";
import { abortedOr, storageFailure, type HttpFailure } from "../http-error.js";

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

// Permanent faults the user fixes; each hint says what to do. `{bucket}` is filled in.
const HINTS: Record<string, string> = {
  NoSuchBucket: "bucket {bucket} does not exist: create it, or fix the bucket name in --repo (and the region/endpoint)",
  AccessDenied:
    "access to bucket {bucket} was denied: give these credentials the permissions listed in docs/STORAGE.md (s3:PutObject, s3:GetObject, s3:ListBucket, ...)",
  InvalidAccessKeyId:
    "the access key is unknown to this S3 endpoint: check AWS_ACCESS_KEY_ID / the profile, and --s3-endpoint",
  SignatureDoesNotMatch: "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY / the profile",
  ExpiredToken: "the session token has expired: refresh the credentials (aws sso login, a new role session) and re-run",
  InvalidToken: "the session token is invalid: check AWS_SESSION_TOKEN",
  PermanentRedirect: "bucket {bucket} is in another region: set AWS_REGION / --s3-region to the bucket's region",
  AuthorizationHeaderMalformed:
    "the region does not match bucket {bucket}: set AWS_REGION / --s3-region to the bucket's region",
  CredentialsProviderError:
    "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an instance/task role is available",
  InvalidObjectState:
    "the object is in an archive storage class: restore it first, and use an instant-access class (STANDARD_IA, GLACIER_IR) for repositories",
  ENOTFOUND: "the S3 endpoint host name does not resolve: check --s3-endpoint / AWS_ENDPOINT_URL",
};

/**
 * Maps an AWS SDK failure to a StorageError that names the bucket and object.
 * `missingIsNotFound` is set for reads of one object, where 404 means the
 * object is absent (and not the bucket: NoSuchBucket keeps its own hint).
 */
export function s3Error(
  backend: string,
  bucket: string,
  key: string | undefined,
  err: unknown,
  signal?: AbortSignal,
  missingIsNotFound = false,
): Error {
  if (err instanceof StorageError) return err;
  const aborted = abortedOr(err, signal);
  if (aborted) return aborted;
  const e = (err ?? {}) as SdkErrorShape;
  const code = e.name === "Error" || e.name === undefined ? e.code : e.name;
  const f: HttpFailure = {
    status: e.$metadata?.httpStatusCode,
    code: code ?? e.code,
    message: e.message || String(err),
    retryAfter: e.$response?.headers?.["retry-after"],
  };
  const notFound = f.code === "NoSuchKey" || f.code === "NotFound" || (f.status === 404 && f.code !== "NoSuchBucket");
  if (missingIsNotFound && key !== undefined && notFound) return new NotFoundError(backend, key, { cause: err });
  const hint = hintFor(f, bucket);
  // A missing bucket is not a missing object: without the 404, callers that read
  // "status 404" as "no such object" (Repository.open) keep this message and hint.
  return storageFailure(backend, key, f.code === "NoSuchBucket" ? { ...f, status: undefined } : f, hint, err);
}

function hintFor(f: HttpFailure, bucket: string): string | undefined {
  const byCode = f.code === undefined ? undefined : HINTS[f.code];
  const text =
    byCode ?? (f.status === 403 ? HINTS.AccessDenied : f.status === 301 ? HINTS.PermanentRedirect : undefined);
  return text?.replaceAll("{bucket}", bucket);
}
