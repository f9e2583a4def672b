import { AbortedError, StorageError } from "../core/errors.js";

/**
 * What a cloud backend learned from a failed request, in SDK-neutral terms, so
 * S3 and Azure share one classification of transient versus permanent faults.
 */
export interface HttpFailure {
  status?: number;
  /** The service's error code (S3 `SlowDown`, Azure `ServerBusy`) or a Node error code. */
  code?: string;
  message: string;
  retryAfter?: string;
}

// Server-side conditions a retry may cure. 408/429/5xx by status; these codes
// also arrive with a 400 (RequestTimeout) or a 503 that some stores label.
const TRANSIENT_CODES = new Set([
  "SlowDown",
  "RequestTimeout",
  "InternalError",
  "ServiceUnavailable",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "RequestLimitExceeded",
  "ServerBusy",
  "OperationTimedOut",
  "InternalServerError",
  "ConditionalRequestConflict",
  "TimeoutError",
]);
// Connection-level failures surfaced by Node or the SDKs' HTTP stacks.
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNABORTED",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "REQUEST_SEND_ERROR",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

export function isTransient(f: HttpFailure): boolean {
  if (f.code !== undefined && (TRANSIENT_CODES.has(f.code) || NETWORK_CODES.has(f.code))) return true;
  const s = f.status;
  return s === 408 || s === 429 || (s !== undefined && s >= 500 && s !== 501);
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const TIMEOUT_HINT =
  "the storage accepted the connection but did not answer within the storage timeout: check the endpoint and the network; a slow store can be given longer with --storage-timeout (repositories.NAME.timeout)";

/** The common tail of both backends' error mapping: a StorageError with the retry verdict. */
export function storageFailure(
  backend: string,
  key: string | undefined,
  f: HttpFailure,
  hint: string | undefined,
  cause: unknown,
): StorageError {
  const transient = isTransient(f);
  const label = [f.status, f.code].filter((x) => x !== undefined).join(" ");
  const timedOut = f.code === "TimeoutError" || f.code === "ETIMEDOUT";
  // The SDK says "@smithy/node-http-handler - the request socket timed out after 30000 ms of inactivity (...)".
  const idleMs = timedOut ? /after (\d+) ms/.exec(f.message)?.[1] : undefined;
  const message = idleMs ? `no answer from the storage within ${Number(idleMs) / 1000} s` : f.message;
  return new StorageError(backend, key, `${label ? `${label}: ` : ""}${message}`, {
    status: f.status,
    retryable: transient,
    retryAfterMs: parseRetryAfter(f.retryAfter),
    hint:
      hint ??
      (timedOut ? TIMEOUT_HINT : transient ? "a transient storage fault; cairn retries these with backoff" : undefined),
    cause,
  });
}

/** An SDK abort (our AbortSignal fired) becomes AbortedError, never a storage fault. */
export function abortedOr(err: unknown, signal: AbortSignal | undefined): AbortedError | undefined {
  if (signal?.aborted) return new AbortedError();
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === "AbortError" ? new AbortedError() : undefined;
}
