import { ageDecrypt } from "../crypto/age-file.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { keyedBlobId } from "../crypto/agent-key.js";
import { decompressBlob } from "../compression/zstd.js";
import { IntegrityError } from "../errors.js";
import type { BlobType } from "../ids.js";

/** One blob of a pack to decode, as the index places it. */
export interface DecodeEntry {
  id: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
  compressed: boolean;
}

/**
 * A pack's blobs, decoded and verified: `bytes` holds them back to back and
 * `spans[i]` is entry i's [offset, length] in it, or why that one blob is
 * damaged (the others stay usable).
 */
export interface DecodedPack {
  bytes: Uint8Array;
  spans: ([number, number] | string)[];
}

/**
 * Decrypt a whole pack and decode the listed blobs: decompress each into one
 * shared buffer and check it against its keyed id. Runs on a codec worker
 * during restores (WorkerCodec.decodePack), so the main thread only writes
 * files. Throws when the pack itself cannot be decrypted.
 */
export function decodePack(file: Uint8Array, identities: readonly AgeIdentity[], entries: readonly DecodeEntry[], idKey: Uint8Array, what: string): DecodedPack {
  const plain = ageDecrypt(file, identities, what);
  const total = entries.reduce((n, e) => n + e.rawLength, 0);
  const out = Buffer.allocUnsafeSlow(total);
  const spans: ([number, number] | string)[] = [];
  let at = 0;
  for (const e of entries) {
    const name = `${e.id} in ${what}`;
    try {
      if (e.offset + e.length > plain.byteLength) throw new Error("lies beyond the end of its pack");
      const stored = plain.subarray(e.offset, e.offset + e.length);
      const into = out.subarray(at, at + e.rawLength);
      if (e.compressed) {
        const raw = decompressBlob(stored, e.rawLength, name, into);
        if (raw.byteLength !== e.rawLength) throw new Error("content does not match its id");
        if (raw.buffer !== into.buffer || raw.byteOffset !== into.byteOffset) into.set(raw);
      } else {
        if (stored.byteLength !== e.rawLength) throw new Error("content does not match its id");
        into.set(stored);
      }
      if (keyedBlobId(idKey, e.type, into) !== e.id) throw new Error("content does not match its id");
      spans.push([at, e.rawLength]);
      at += e.rawLength;
    } catch (err) {
      // The reader rebuilds an IntegrityError naming the blob and pack: keep only what went wrong.
      const e = err as Error;
      spans.push(e instanceof IntegrityError ? e.message.slice(`${e.kind} ${e.objectKey}: `.length) : e.message);
    }
  }
  return { bytes: at === total ? out : out.subarray(0, at), spans };
}
