import { AbortedError, StorageError } from "../core/errors.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "./storage.js";
import { backoffDelay, isRetryable } from "./retry-policy.js";
import { publishStorageRetry } from "./storage-events.js";

export interface RetryInfo {
  op: string;
  key?: string;
  /** 1-based number of the attempt that failed. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  /** Uniform [0, 1) source for jitter; injectable so tests are deterministic. */
  random?: () => number;
  /** Called before each backoff sleep (logging, metrics). */
  onRetry?: (info: RetryInfo) => void;
}

// 5 attempts at 1 s doubling give up to ~15 s of backoff: long enough to ride
// out S3 SlowDown / Azure 503 bursts, short enough that a dead endpoint fails
// a run promptly instead of hanging it. With the backends' storage timeout
// (storage-timeout.ts) this bounds how long a silent store holds an operation.
const DEFAULTS = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * Retries transient faults with exponential backoff and full jitter; permanent
 * errors fail at once. Retrying a put is safe because objects are content-named
 * (the same key always carries the same bytes); a stream-factory body is simply
 * invoked again. A putIfAbsent whose first attempt landed but whose reply was
 * lost returns false on retry: "already there", which is the truth. Every
 * retry is published (storage-events.ts) so the user sees a silent store being
 * waited for, and on what.
 */
export class RetryingStorage implements Storage {
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  private readonly opts: Required<Omit<RetryOptions, "onRetry">> & Pick<RetryOptions, "onRetry">;

  constructor(
    private readonly inner: Storage,
    opts: RetryOptions = {},
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.opts = { ...DEFAULTS, clock: systemClock, random: Math.random, ...opts };
  }

  put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    return this.retry("put", key, () => this.inner.put(key, body, opts), opts?.signal);
  }

  putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    return this.retry("putIfAbsent", key, () => this.inner.putIfAbsent(key, body, opts), opts?.signal);
  }

  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    return this.retry("get", key, () => this.inner.get(key, range, signal), signal);
  }

  /** Retries opening the stream; a fault mid-stream reaches the reader, who holds the position. */
  getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return this.retry("getStream", key, () => this.inner.getStream(key, signal), signal);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.retry("head", key, () => this.inner.head(key));
  }

  delete(key: string): Promise<void> {
    return this.retry("delete", key, () => this.inner.delete(key));
  }

  /**
   * A listing that fails part way is restarted and keys already yielded are
   * skipped (as restic's retry backend does); the contract promises no order,
   * so the caller still sees every key exactly once.
   */
  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const seen = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const info of this.inner.list(prefix, signal)) {
          if (seen.has(info.key)) continue;
          seen.add(info.key);
          yield info;
        }
        return;
      } catch (err) {
        await this.backoffOrThrow("list", prefix, attempt, err, signal);
      }
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async retry<T>(op: string, key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        await this.backoffOrThrow(op, key, attempt, err, signal);
      }
    }
  }

  /** Sleeps before the next attempt, or throws when `err` is permanent or attempts are spent. */
  private async backoffOrThrow(
    op: string,
    key: string,
    attempt: number,
    err: unknown,
    signal?: AbortSignal,
  ): Promise<void> {
    if (!isRetryable(err) || signal?.aborted) throw err;
    if (attempt >= this.opts.attempts) throw this.gaveUp(op, key, attempt, err);
    const { baseDelayMs, maxDelayMs, random, clock } = this.opts;
    const delayMs = Math.max(backoffDelay(attempt - 1, baseDelayMs, maxDelayMs, random), retryAfter(err, maxDelayMs));
    this.opts.onRetry?.({ op, key, attempt, delayMs, error: err });
    publishStorageRetry({
      storage: this.name,
      op,
      key,
      attempt,
      attempts: this.opts.attempts,
      delayMs,
      error: detail(err),
    });
    try {
      await clock.sleep(delayMs, signal);
    } catch {
      throw new AbortedError(`${op} ${key} aborted while waiting to retry`);
    }
  }

  /** The final error is marked not retryable so an outer layer does not multiply the attempts. */
  private gaveUp(op: string, key: string, attempts: number, err: unknown): StorageError {
    const status = err instanceof StorageError ? err.status : undefined;
    // A timeout's own hint (raise the storage timeout) says more than "transient".
    const specific = err instanceof StorageError && err.hint && !/^a transient storage fault/.test(err.hint);
    return new StorageError(this.name, key, `${op} failed after ${attempts} attempts: ${detail(err)}`, {
      status,
      retryable: false,
      cause: err,
      hint: specific
        ? err.hint
        : "the storage kept failing with transient errors; check connectivity and the service's status, then re-run",
    });
  }
}

/** What went wrong, without the "<storage> <key>: " a StorageError's message starts with (the caller says it). */
function detail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (!(err instanceof StorageError)) return err.message;
  const prefix = `${err.backend}${err.key ? ` ${err.key}` : ""}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/** The wait the store asked for (Retry-After), capped so a hostile or buggy header cannot stall a run. */
function retryAfter(err: unknown, maxDelayMs: number): number {
  const ms = err instanceof StorageError ? err.retryAfterMs : undefined;
  return ms === undefined || !(ms > 0) ? 0 : Math.min(ms, maxDelayMs);
}
