/**
 * How long a cloud store may stay silent (docs/STORAGE.md §Timeouts): a
 * request whose connection carries no byte either way for this long fails
 * as a transient fault and is retried. Long enough for a store busy
 * finishing a large write, short enough that an endpoint which accepts
 * connections and never answers fails a command within a few minutes
 * (RetryingStorage's attempts times this, plus the backoff between them).
 */
export const DEFAULT_STORAGE_TIMEOUT_MS = 30_000;

/** A connection that is not established within this long (or the storage timeout, if shorter) fails the same way. */
export const CONNECT_TIMEOUT_MS = 10_000;
