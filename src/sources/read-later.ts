import { createReadStream } from "node:fs";

/**
 * A file's bytes for a composed snapshot entry, opened only when iteration
 * starts: a ReadStream opens its file as soon as it is made, so a list of
 * them (WAL segments) would hold every file open at once, and keep them open
 * if the backup failed before reading them.
 */
export async function* readLater(path: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path);
}
