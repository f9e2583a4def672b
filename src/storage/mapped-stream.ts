/**
 * Re-throws a failure in the middle of a download through `map`, so a reset
 * connection surfaces as a retryable StorageError naming the object rather
 * than a bare socket error.
 */
export async function* mappedStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  map: (err: unknown) => Error,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw map(err);
  }
}
