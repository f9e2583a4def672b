import { IntegrityError } from "../../core/errors.js";
import type { AgeRecipient } from "../../crypto/age-keys.js";
import { ageEncryptVerified } from "../../crypto/age-encrypt-verified.js";
import { compressBlob, decompressBlob } from "../../compression/zstd.js";
import { sha256Hex } from "./sha256.js";
import { ScratchBuffer } from "../../core/scratch-buffer.js";

export interface CompressedBlob {
  bytes: Uint8Array;
  compressed: boolean;
}

export interface SealedPack {
  file: Buffer;
  headerLength: number;
  /** SHA-256 of `file`: the pack's name. */
  id: string;
}

/**
 * The CPU-heavy steps of writing packs, behind one seam so they can run on
 * worker threads (pipeline/worker-codec.ts) or inline. Both steps verify their
 * own output (docs/RELIABILITY.md invariant 8) before returning it.
 */
export interface PackCodec {
  compress(raw: Uint8Array, level: number, what: string): Promise<CompressedBlob>;
  seal(parts: readonly Uint8Array[], recipients: readonly AgeRecipient[], what: string): Promise<SealedPack>;
  close(): Promise<void>;
}

/** Verification output: comparing must not cost an allocation per blob. */
const verifyScratch = new ScratchBuffer();

/** Compress and check that the frame decompresses to the original bytes. */
export function compressVerified(raw: Uint8Array, level: number, what: string): CompressedBlob {
  const r = compressBlob(raw, level);
  if (
    r.compressed &&
    !Buffer.from(decompressBlob(r.bytes, raw.byteLength, what, verifyScratch.atLeast(raw.byteLength))).equals(
      Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    )
  ) {
    throw new IntegrityError(
      "blob",
      what,
      "compressor produced data that does not decompress to the original; not stored",
    );
  }
  return r;
}

export function sealVerified(
  parts: readonly Uint8Array[],
  recipients: readonly AgeRecipient[],
  what: string,
): SealedPack {
  const { file, headerLength } = ageEncryptVerified(parts, recipients, what);
  return { file, headerLength, id: sha256Hex(file) };
}

/** Runs the codec on the calling thread (tests, tiny jobs, `--workers 0`). */
export const inlineCodec: PackCodec = {
  compress: async (raw, level, what) => compressVerified(raw, level, what),
  seal: async (parts, recipients, what) => sealVerified(parts, recipients, what),
  close: async () => undefined,
};
