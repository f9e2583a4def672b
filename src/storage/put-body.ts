import type { PutBody } from "./storage.js";

/**
 * The chunks of a put body. A stream factory is invoked afresh on every call,
 * which is what lets a retry re-send a body that was already consumed.
 */
export async function* bodyChunks(body: PutBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  yield* body();
}
