import { decompressBlob } from "../../compression/zstd.js";
import { keyedBlobId } from "../../crypto/agent-key.js";
import { IntegrityError } from "../../core/errors.js";
import type { BlobType } from "../../core/ids.js";

/** A blob as its pack stores it (decrypted, maybe compressed), with what its index entry says of it. */
export interface StoredBlob {
  stored: Uint8Array;
  compressed: boolean;
  rawLength: number;
  type: BlobType;
  /** "<id> in <pack key>", for errors. */
  what: string;
}

/**
 * Decompress a stored blob and check it against its keyed id; `blobId` is
 * AgentKey.blobId or keyedBlobId with an exported key (on another thread).
 * Returns a view of the stored bytes when they were not compressed, and a
 * view into `into` when given and large enough (a caller that writes the
 * blob out and then reads the next reuses one buffer).
 *
 * @throws IntegrityError naming the blob and its pack.
 */
export function decodeStoredBlob(
  s: StoredBlob,
  id: string,
  blobId: (type: BlobType, raw: Uint8Array) => string,
  into?: Buffer,
): Buffer {
  const raw = asBuffer(s.compressed ? decompressBlob(s.stored, s.rawLength, s.what, into) : s.stored);
  if (raw.byteLength !== s.rawLength || blobId(s.type, raw) !== id)
    throw new IntegrityError("blob", s.what, "content does not match its id");
  return raw;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** decodeStoredBlob with an exported blob-ID subkey (AgentKey.exportBlobIdKey): restore's writer threads, large files. */
export function decodeWithIdKey(s: StoredBlob, id: string, idKey: Uint8Array, into?: Buffer): Buffer {
  return decodeStoredBlob(s, id, (type, raw) => keyedBlobId(idKey, type, raw), into);
}
