// A part (S3) or block (Azure) that fails transiently is re-sent on its own, so
// one 503 does not cost the parts already uploaded; what still fails goes up to
// RetryingStorage, which restarts the whole object.
const PART_ATTEMPTS = 3;
const PART_BACKOFF_MS = 200;

/** Runs `send` up to 3 times while `transient(err)` says the failure may pass. */
export async function retryPart<T>(
  send: () => Promise<T>,
  transient: (err: unknown) => boolean,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= PART_ATTEMPTS || signal?.aborted || !transient(err)) throw err;
      // Full jitter, as RetryingStorage does: parts of many uploads must not retry in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * PART_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}
