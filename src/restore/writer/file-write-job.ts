import { isAllZero } from "../../core/all-zero.js";
import { decodeWithIdKey, type StoredBlob } from "../../repository/format/blob-decode.js";
import { toWireError, type WireError } from "../../workers/wire-error.js";
import type { ScratchBuffer } from "../../core/scratch-buffer.js";
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  openSync,
  unlinkSync,
  writeSync,
} from "node:fs";

/**
 * Create-only and never through a symlink: O_EXCL fails on any existing entry
 * (a symlink included), O_NOFOLLOW is belt and braces. This is what keeps a
 * restore from overwriting anything already in the target.
 */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A blob as stored (possibly compressed), decoded and verified against its keyed id on the writer thread. */
export interface EncodedBlob extends StoredBlob {
  id: string;
}

/** One small file to create and fill, with everything decided on the main thread (structured-clone friendly). */
export interface FileWriteRequest {
  path: Uint8Array;
  /** The file's blobs in order, verified or to be verified here; their lengths add up to `size` (checked by the caller). */
  blobs: (Uint8Array | EncodedBlob)[];
  size: number;
  /** Permission bits to set (already masked for ownership). */
  mode: number;
  /** Set only when ownership is restored. */
  owner?: { uid: number; gid: number };
  /** mtime as mtimeSeconds() gives it. */
  mtime: string;
}

/** A blob that does not decode or verify fails with an IntegrityError (on the wire) and creates no file. */
export type FileWriteResult = { ok: true; metadataError?: WireError } | { ok: false; error: WireError };

/**
 * Creates, writes and stamps one file with synchronous calls: on a worker
 * (file-writer-pool.ts) several files are created at once while the main
 * thread decodes blobs. All-zero blobs are not written, so they become holes;
 * ftruncate sets the final size. A failure deletes the partial file. Metadata
 * failures leave the data and are reported beside it.
 */
export function writeFileSync(req: FileWriteRequest, idKey?: Uint8Array): FileWriteResult {
  let blobs: Uint8Array[];
  try {
    blobs = req.blobs.map((b) => (b instanceof Uint8Array ? b : decodeBlob(b, idKey)));
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
  // A Buffer arrives from another thread as a plain Uint8Array; fs wants a Buffer for a byte path.
  const path = Buffer.from(req.path.buffer, req.path.byteOffset, req.path.byteLength);
  let fd: number;
  try {
    fd = openSync(path, CREATE_NEW, 0o600);
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
  try {
    let position = 0;
    let holes = false;
    for (const b of blobs) {
      if (isAllZero(b)) holes = true;
      else writeAllSync(fd, b, position);
      position += b.length;
    }
    if (holes || position < req.size) ftruncateSync(fd, req.size);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    return { ok: false, error: toWireError(e) };
  }
  let metadataError: WireError | undefined;
  try {
    // chown clears setuid/setgid, so it comes before chmod.
    if (req.owner) fchownSync(fd, req.owner.uid, req.owner.gid);
    fchmodSync(fd, req.mode);
    futimesSync(fd, req.mtime, req.mtime);
  } catch (e) {
    metadataError = toWireError(e);
  }
  closeSync(fd);
  return metadataError ? { ok: true, metadataError } : { ok: true };
}

/** One blob of a large file, to go at `position` of a file the main thread holds open as `fd`. */
export interface BlobWriteRequest {
  fd: number;
  position: number;
  blob: EncodedBlob;
}

/**
 * Decodes and verifies one blob of a large file and writes it at its
 * position (an all-zero blob is left as a hole; the caller truncates to the
 * final size). Returns the blob's length. Throws an IntegrityError when the
 * blob does not decode or verify: nothing of it is written then. `into`
 * holds the decompressed bytes, reused from one blob to the next.
 */
export function writeBlobSync(req: BlobWriteRequest, idKey: Uint8Array | undefined, into: ScratchBuffer): number {
  const b = req.blob;
  const raw = decodeBlob(b, idKey, b.compressed ? into.atLeast(b.rawLength) : undefined);
  if (!isAllZero(raw)) writeAllSync(req.fd, raw, req.position);
  return raw.length;
}

/** Decompress and check the keyed id, as BlobReader.read does on the main thread. */
function decodeBlob(b: EncodedBlob, idKey: Uint8Array | undefined, into?: Buffer): Uint8Array {
  if (!idKey) throw new Error("writer thread started without the blob-ID key cannot verify blobs");
  return decodeWithIdKey(b, b.id, idKey, into);
}

function writeAllSync(fd: number, blob: Uint8Array, position: number): void {
  let done = 0;
  while (done < blob.length) done += writeSync(fd, blob, done, blob.length - done, position + done);
}
