import { StorageError } from "../core/errors.js";

// Network failures that surface as plain Node/undici errors rather than as a
// StorageError from a backend; all are worth another attempt.
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNABORTED",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** True for faults a retry may cure: retryable StorageErrors and connection-level failures. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof StorageError) return err.retryable;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): a uniform delay in [0, min(max, base * 2^retry)].
 * Jitter spreads many clients hitting the same throttled bucket apart.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.floor(random() * cap);
}
