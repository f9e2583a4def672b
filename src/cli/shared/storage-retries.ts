import type { Logger } from "../../agent/logger.js";
import { onStorageRetry, type StorageRetryEvent } from "../../storage/storage-events.js";
import { terminalText } from "./terminal-text.js";

let unsubscribe: (() => void) | undefined;

/**
 * Where this process reports a storage operation that failed and is tried
 * again, replacing the previous reporter: a silent or failing store must not
 * look like a hang. main.ts reports to stderr; `cairn agent`, `run` and
 * `drill` switch to their JSON log.
 */
export function reportStorageRetries(report: (e: StorageRetryEvent) => void): void {
  unsubscribe?.();
  unsubscribe = onStorageRetry(report);
}

/** The human line: which store and object, which attempt of how many, why, and how long until the next. */
export function retryMessage(e: StorageRetryEvent): string {
  return `${e.storage}${e.key ? ` ${e.key}` : ""}: ${e.op} attempt ${e.attempt} of ${e.attempts} failed (${e.error}); retrying in ${(e.delayMs / 1000).toFixed(1)} s`;
}

/** For main.ts: a warning line on stderr, starting a fresh line when a progress line is being redrawn there. */
export function retriesToStderr(): void {
  reportStorageRetries((e) =>
    process.stderr.write(`${process.stderr.isTTY ? "\r" : ""}warning: ${terminalText(retryMessage(e))}\n`),
  );
}

/** For the agent's log: one `storage_retry` warning per retry. */
export function retriesToLog(log: Logger): void {
  reportStorageRetries((e) =>
    log.warn(
      {
        event: "storage_retry",
        storage: e.storage,
        op: e.op,
        key: e.key,
        attempt: e.attempt,
        attempts: e.attempts,
        retry_in_s: e.delayMs / 1000,
        error: e.error,
      },
      retryMessage(e),
    ),
  );
}
