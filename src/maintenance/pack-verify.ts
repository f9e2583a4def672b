import { ageDecrypt } from "../crypto/age-file.js";
import { keyedBlobId } from "../crypto/agent-key.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { decompressBlob } from "../compression/zstd.js";
import { decodeTrailer } from "../repository/format/pack-format.js";
import { ScratchBuffer } from "../core/scratch-buffer.js";

export interface PackVerifyResult {
  blobsVerified: number;
  /** Blob IDs (hex) whose content does not match. */
  badBlobs: string[];
}

/**
 * A pack's plaintext and one blob's raw bytes are only hashed, so the buffers
 * are reused: fresh memory per pack and per blob added up to more than the
 * repository itself (docs/PERFORMANCE.md §Figures behind choices in the code).
 */
const plainScratch = new ScratchBuffer();
const rawScratch = new ScratchBuffer();

/**
 * Decrypts a whole pack, decompresses every blob and checks it against its
 * keyed ID (check --read-data). Throws IntegrityError when the pack itself is
 * damaged (decryption, trailer, zstd frame). Not reentrant (shared scratch
 * buffers): one call at a time per thread, as the verifier workers do.
 */
export function verifyPack(
  file: Uint8Array,
  identities: readonly AgeIdentity[],
  idKey: Uint8Array,
  key: string,
): PackVerifyResult {
  const plain = ageDecrypt(file, identities, key, plainScratch.atLeast(file.length));
  const r: PackVerifyResult = { blobsVerified: 0, badBlobs: [] };
  for (const e of decodeTrailer(plain, key)) {
    const blob = plain.subarray(e.offset, e.offset + e.length);
    const raw = e.compressed ? decompressBlob(blob, e.rawLength, key, rawScratch.atLeast(e.rawLength)) : blob;
    const id = e.id.toString("hex");
    if (keyedBlobId(idKey, e.type, raw) !== id) r.badBlobs.push(id);
    else r.blobsVerified++;
  }
  return r;
}
