import { mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { AbortedError } from "../../core/errors.js";
import { TEMP_PREFIX } from "../storage-key.js";

/** fsync a directory so a rename, link or unlink inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * mkdir -p that is durable: every directory it creates is recorded by an
 * fsync of its parent, otherwise a crash could lose a fresh `data/ab/`
 * directory together with the objects renamed into it.
 */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // Directories whose entries changed: first's parent, then each created one but the leaf.
  const stop = dirname(first);
  for (let d = dirname(dir); ; d = dirname(d)) {
    await fsyncDir(d);
    if (d === stop || d === dirname(d)) break;
  }
}

/**
 * Writes `chunks` to a new temp file in `dir` and fsyncs it. The caller
 * publishes it with rename or link; the temp file is removed on failure.
 */
export async function writeTempFile(
  dir: string,
  chunks: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<string> {
  const tmp = `${dir}/${TEMP_PREFIX}${randomBytes(8).toString("hex")}`;
  const handle = await open(tmp, "wx");
  try {
    for await (const chunk of chunks) {
      if (signal?.aborted) throw new AbortedError("put aborted");
      await writeAll(handle, chunk);
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await handle.close();
  return tmp;
}

type Handle = Awaited<ReturnType<typeof open>>;

async function writeAll(handle: Handle, chunk: Uint8Array): Promise<void> {
  // write() may write fewer bytes than asked; loop until the chunk is out.
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}
