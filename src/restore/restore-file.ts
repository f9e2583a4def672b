import { closeSync, constants, ftruncateSync, openSync, unlinkSync, writeSync } from "node:fs";
import { open, unlink, link, type FileHandle } from "node:fs/promises";
import { IntegrityError } from "../errors.js";
import { applyFdMetadataSync, applyHandleMetadata } from "./restore-metadata.js";
import type { Entry, RestoreContext } from "./restore-context.js";
import { isAllZero, writeSparse } from "./write-sparse.js";

/**
 * Create-only and never through a symlink: O_EXCL fails on any existing entry
 * (a symlink included), O_NOFOLLOW is belt and braces. This is what keeps a
 * restore from overwriting anything already in the target.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

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
  } else {
    await writeNewFile(ctx, e);
    if (inode !== undefined) ctx.inodes.set(inode, e.path);
    ctx.summary.files++;
    ctx.summary.bytes += e.node.size ?? 0;
  }
  ctx.opts.onProgress?.({ files: ctx.summary.files, bytes: ctx.summary.bytes });
}

function inodeKey(e: Entry): string | undefined {
  const { links, dev, ino } = e.node;
  return links !== undefined && links > 1 && dev !== undefined && ino !== undefined ? `${dev}:${ino}` : undefined;
}

/** Files up to this size take the synchronous path. */
const SMALL_FILE = 1024 * 1024;

async function writeNewFile(ctx: RestoreContext, e: Entry): Promise<void> {
  if ((e.node.size ?? 0) <= SMALL_FILE) return writeSmallFile(ctx, e);
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
  const written = await writeSparse(ctx.reader, fh, e.node.content ?? [], ctx.opts.signal);
  if (written !== size) {
    throw new IntegrityError("file", e.display, `content is ${written} bytes but the tree records ${size}; file not restored`);
  }
  // Extends over trailing zero blobs without writing them: the file stays sparse.
  await fh.truncate(size);
  await applyHandleMetadata(ctx, fh, e);
}

/**
 * Small files, which are most files: read the blobs (async, usually from a
 * cached pack), then create, write and stamp the file with synchronous calls.
 * Seven thread-pool round trips per file cost far more than the syscalls
 * themselves (measured: futex contention dominated restoring 30k tiny files).
 */
async function writeSmallFile(ctx: RestoreContext, e: Entry): Promise<void> {
  const blobs: Uint8Array[] = [];
  for (const id of e.node.content ?? []) blobs.push(await ctx.reader.readBlob(id));
  const size = e.node.size ?? 0;
  const fd = openSync(e.path, CREATE_NEW, 0o600);
  try {
    let position = 0;
    for (const b of blobs) {
      if (!isAllZero(b)) writeAllSync(fd, b, position);
      position += b.length;
    }
    if (position !== size) throw new IntegrityError("file", e.display, `content is ${position} bytes but the tree records ${size}; file not restored`);
    if (position < size || blobs.some((b) => isAllZero(b))) ftruncateSync(fd, size);
    applyFdMetadataSync(ctx, fd, e);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(e.path);
    } catch {
      // already gone
    }
    throw err;
  }
  closeSync(fd);
}

function writeAllSync(fd: number, blob: Uint8Array, position: number): void {
  let done = 0;
  while (done < blob.length) done += writeSync(fd, blob, done, blob.length - done, position + done);
}
