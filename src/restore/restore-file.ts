import { open, unlink, link, type FileHandle } from "node:fs/promises";
import { IntegrityError } from "../core/errors.js";
import { fromWireError } from "../workers/wire-error.js";
import { CREATE_NEW, type EncodedBlob } from "./file-write-job.js";
import { FileWriterPool } from "./file-writer-pool.js";
import { applyHandleMetadata, mtimeSeconds, permissionBits } from "./restore-metadata.js";
import { describeError, warn, type Entry, type RestoreContext } from "./restore-context.js";
import { writeSparse } from "./write-sparse.js";
import { LARGE_FILES } from "./restore-jobs.js";

/** Worker threads creating small files: the main thread decodes blobs meanwhile (measured in docs/PERFORMANCE.md). */
const FILE_WRITERS = 2;

/**
 * Restores one regular file, or a hardlink to an inode restored earlier in
 * this run. On failure (damaged blob, wrong length) the partial file is
 * deleted and the error thrown, so the caller reports it and carries on.
 */
export async function restoreFile(ctx: RestoreContext, e: Entry): Promise<void> {
  const inode = inodeKey(e);
  const first = inode === undefined ? undefined : ctx.inodes.get(inode);
  if (first !== undefined) {
    await link(first, e.path);
    ctx.summary.hardlinks++;
    ctx.opts.onProgress?.({ files: ctx.summary.files, bytes: ctx.summary.bytes });
  } else {
    await writeNewFile(ctx, e);
    if (inode !== undefined) ctx.inodes.set(inode, e.path);
    countRestored(ctx, e);
  }
}

/** A new regular file is complete: count it and report progress. */
export function countRestored(ctx: RestoreContext, e: Entry): void {
  ctx.summary.files++;
  ctx.summary.bytes += e.node.size ?? 0;
  ctx.opts.onProgress?.({ files: ctx.summary.files, bytes: ctx.summary.bytes });
}

function inodeKey(e: Entry): string | undefined {
  const { links, dev, ino } = e.node;
  return links !== undefined && links > 1 && dev !== undefined && ino !== undefined ? `${dev}:${ino}` : undefined;
}

/** Files up to this size take the synchronous path. */
export const SMALL_FILE = 1024 * 1024;

async function writeNewFile(ctx: RestoreContext, e: Entry): Promise<void> {
  if ((e.node.size ?? 0) <= SMALL_FILE) return writeSmallFile(ctx, e);
  await withLargeSlot(ctx, () => writeLargeFile(ctx, e));
}

/** Run a large file's (or part's) writes once fewer than LARGE_FILES run: each holds blobs of up to 8 MiB in flight. */
export async function withLargeSlot<T>(ctx: RestoreContext, fn: () => Promise<T>): Promise<T> {
  while (ctx.largeFiles >= LARGE_FILES) await new Promise<void>((resolve) => ctx.largeFileWaiters.push(resolve));
  ctx.largeFiles++;
  try {
    return await fn();
  } finally {
    ctx.largeFiles--;
    ctx.largeFileWaiters.shift()?.();
  }
}

async function writeLargeFile(ctx: RestoreContext, e: Entry): Promise<void> {
  // 0o600 until the data is complete: a half-written file is never readable by others.
  const fh = await open(e.path, CREATE_NEW, 0o600);
  try {
    await fillFile(ctx, fh, e);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(e.path).catch(() => undefined);
    throw err;
  }
  await fh.close();
}

async function fillFile(ctx: RestoreContext, fh: FileHandle, e: Entry): Promise<void> {
  const size = e.node.size ?? 0;
  // Decoding and writing go to the writer threads when the reader hands out stored blobs (write-sparse.ts).
  const writers = ctx.reader.readStoredBlob && ctx.reader.exportBlobIdKey ? fileWriters(ctx) : undefined;
  const written = await writeSparse(ctx.reader, fh, e.node.content ?? [], ctx.opts.signal, writers);
  if (written !== size) {
    throw new IntegrityError(
      "file",
      e.display,
      `content is ${written} bytes but the tree records ${size}; file not restored`,
    );
  }
  // Extends over trailing zero blobs without writing them: the file stays sparse.
  await fh.truncate(size);
  await applyHandleMetadata(ctx, fh, e);
}

/**
 * Small files, which are most files: read the blobs here (usually from a
 * cached pack), then a file-writer worker creates, writes and stamps the file
 * (file-writer-pool.ts). Thread-pool round trips per file cost far more than
 * the syscalls themselves, and the syscalls themselves are most of a restore
 * of many small files: on the workers they overlap with decoding.
 */
async function writeSmallFile(ctx: RestoreContext, e: Entry): Promise<void> {
  const content = e.node.content ?? [];
  const size = e.node.size ?? 0;
  const reader = ctx.reader;
  // With a reader that hands out stored blobs, decompressing and verifying move to the writer thread too.
  const encoded = reader.readStoredBlob && reader.exportBlobIdKey;
  const blobs: (Uint8Array | EncodedBlob)[] = [];
  let length = 0;
  for (const id of content) {
    if (encoded) {
      const s = await reader.readStoredBlob!(id);
      blobs.push({ ...s, id }); // copied when the batch is sent (FileWriterPool)
      length += s.rawLength;
    } else {
      const b = await reader.readBlob(id);
      blobs.push(b);
      length += b.length;
    }
  }
  if (length !== size)
    throw new IntegrityError(
      "file",
      e.display,
      `content is ${length} bytes but the tree records ${size}; file not restored`,
    );
  const r = await fileWriters(ctx).write({
    path: e.path,
    blobs,
    size,
    mode: permissionBits(ctx, e),
    owner: ctx.ownership ? { uid: e.node.uid, gid: e.node.gid } : undefined,
    mtime: mtimeSeconds(e.node.mtimeNs),
  });
  if (!r.ok) throw fromWireError(r.error);
  if (r.metadataError) warn(ctx, e.display, `metadata not restored: ${describeError(fromWireError(r.metadataError))}`);
}

/** Started on the first small file: a restore of a few large files needs no workers. */
export function fileWriters(ctx: RestoreContext): FileWriterPool {
  return (ctx.writers ??= new FileWriterPool(FILE_WRITERS, ctx.reader.exportBlobIdKey?.()));
}
