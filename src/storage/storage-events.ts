import { channel } from "node:diagnostics_channel";

/** A storage operation failed transiently and will be tried again (RetryingStorage). */
export interface StorageRetryEvent {
  /** The storage's name (`s3://bucket/prefix`, `local:/path`): never credentials. */
  storage: string;
  op: string;
  /** The object (or the listed prefix). */
  key?: string;
  /** 1-based number of the attempt that failed, and how many there are in all. */
  attempt: number;
  attempts: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** Why the attempt failed. */
  error: string;
}

// A diagnostics channel, as undici publishes its requests: the storage layer says what happens without
// knowing who shows it; the CLI prints a warning line, the agent logs a `storage_retry` event.
const retries = channel("cairn:storage:retry");

export function publishStorageRetry(e: StorageRetryEvent): void {
  if (retries.hasSubscribers) retries.publish(e);
}

/** Calls `fn` on every retry of any storage in this process, until the returned function is called. */
export function onStorageRetry(fn: (e: StorageRetryEvent) => void): () => void {
  const listener = (message: unknown) => fn(message as StorageRetryEvent);
  retries.subscribe(listener);
  return () => void retries.unsubscribe(listener);
}
