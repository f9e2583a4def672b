/**
 * The age payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over
 * 64 KiB plaintext chunks) with key HKDF-SHA256(file key, salt = nonce,
 * info "payload"). Chunk i's 12-byte nonce is an 11-byte big-endian counter
 * and a flag byte, 1 only on the final chunk, so truncation at a chunk
 * boundary is detected. The final chunk is empty only for an empty plaintext.
 * node:crypto does the AEAD (native; the age-encryption package is pure JS).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { IntegrityError } from "../core/errors.js";
import { hkdfSha256 } from "./hkdf.js";

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const PAYLOAD_NONCE_SIZE = 16;

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdfSha256(fileKey, nonce, "payload");
}

function chunkNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6); // bytes 0..4 of the 11-byte counter stay zero below 2^48 chunks
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Sealed payload size (after the nonce) for a plaintext size. */
export function sealedPayloadSize(plainSize: number): number {
  return plainSize + TAG_SIZE * Math.max(1, Math.ceil(plainSize / CHUNK_SIZE));
}

/** Plaintext size for a sealed payload size (after the nonce); throws if no plaintext seals to that size. */
export function plainPayloadSize(sealedSize: number, what: string): number {
  if (!Number.isSafeInteger(sealedSize) || sealedSize < TAG_SIZE) {
    throw new IntegrityError("age file", what, "truncated: missing final chunk");
  }
  const chunks = Math.ceil(sealedSize / SEALED_CHUNK_SIZE);
  const lastSealed = sealedSize - (chunks - 1) * SEALED_CHUNK_SIZE;
  if (lastSealed < TAG_SIZE || (chunks > 1 && lastSealed === TAG_SIZE)) {
    throw new IntegrityError("age file", what, "truncated or trailing data: size does not end on a valid chunk");
  }
  return sealedSize - chunks * TAG_SIZE;
}

/** Encrypts `plainSize` bytes taken in order from `parts` into `out` at `offset`. */
export function encryptPayload(
  key: Buffer,
  parts: readonly Uint8Array[],
  plainSize: number,
  out: Buffer,
  offset: number,
): void {
  const chunks = Math.max(1, Math.ceil(plainSize / CHUNK_SIZE));
  let part = 0;
  let partPos = 0;
  for (let i = 0; i < chunks; i++) {
    const cipher = createCipheriv("chacha20-poly1305", key, chunkNonce(i, i === chunks - 1), {
      authTagLength: TAG_SIZE,
    });
    // Feed the chunk straight from the caller's parts (it may span several) instead of concatenating them.
    for (let need = Math.min(CHUNK_SIZE, plainSize - i * CHUNK_SIZE); need > 0;) {
      const take = Math.min(need, parts[part].length - partPos);
      offset += cipher.update(parts[part].subarray(partPos, partPos + take)).copy(out, offset);
      need -= take;
      partPos += take;
      if (partPos === parts[part].length) [part, partPos] = [part + 1, 0];
    }
    offset += cipher.final().copy(out, offset);
    offset += cipher.getAuthTag().copy(out, offset);
  }
}

function openChunk(key: Buffer, sealed: Uint8Array, index: number, last: boolean): Buffer | undefined {
  const decipher = createDecipheriv("chacha20-poly1305", key, chunkNonce(index, last), { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
    return plain;
  } catch {
    return undefined;
  }
}

/** Words the error; retrying with the other flag tells truncation and trailing data apart from damage. */
function chunkFailure(key: Buffer, sealed: Uint8Array, index: number, last: boolean, what: string): IntegrityError {
  let message = `authentication failed at chunk ${index}`;
  if (openChunk(key, sealed, index, !last)) {
    message = last ? "truncated: missing final chunk" : `trailing data after final chunk ${index}`;
  }
  return new IntegrityError("age file", what, message);
}

/**
 * Decrypts consecutive sealed chunks starting at chunk `firstIndex` into
 * `out` (from 0). `endsFinal` says whether the last of them is the file's
 * final chunk. Returns the plaintext length written.
 */
export function decryptChunks(
  key: Buffer,
  sealed: Uint8Array,
  firstIndex: number,
  endsFinal: boolean,
  out: Buffer,
  what: string,
): number {
  const count = Math.ceil(sealed.length / SEALED_CHUNK_SIZE);
  let written = 0;
  for (let j = 0; j < count; j++) {
    const chunk = sealed.subarray(j * SEALED_CHUNK_SIZE, (j + 1) * SEALED_CHUNK_SIZE);
    const last = endsFinal && j === count - 1;
    const plain = openChunk(key, chunk, firstIndex + j, last);
    if (!plain) throw chunkFailure(key, chunk, firstIndex + j, last, what);
    written += plain.copy(out, written);
  }
  return written;
}
