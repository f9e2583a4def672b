/**
 * Ranged decryption: authenticate and decrypt only the STREAM chunks that
 * cover a plaintext range, so restoring one blob from a pack fetches about
 * the blob's size rather than the whole pack.
 */
import { IntegrityError } from "../core/errors.js";
import {
  CHUNK_SIZE,
  PAYLOAD_NONCE_SIZE,
  SEALED_CHUNK_SIZE,
  decryptChunks,
  payloadKey,
  plainPayloadSize,
} from "./age-stream.js";

export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

async function readExactly(read: RangeReader, offset: number, length: number, what: string): Promise<Uint8Array> {
  const bytes = await read(offset, length);
  if (bytes.length !== length) {
    throw new IntegrityError(
      "age file",
      what,
      `short read: got ${bytes.length} of ${length} bytes at offset ${offset}`,
    );
  }
  return bytes;
}

/** The payload nonce and the sealed chunks [from, to): one read when they are adjacent, else two in parallel. */
async function readNonceAndChunks(read: RangeReader, headerLength: number, from: number, to: number, what: string) {
  const nonceEnd = headerLength + PAYLOAD_NONCE_SIZE;
  if (from === nonceEnd) {
    const bytes = await readExactly(read, headerLength, to - headerLength, what);
    return { nonce: bytes.subarray(0, PAYLOAD_NONCE_SIZE), sealed: bytes.subarray(PAYLOAD_NONCE_SIZE) };
  }
  const [nonce, sealed] = await Promise.all([
    readExactly(read, headerLength, PAYLOAD_NONCE_SIZE, what),
    readExactly(read, from, to - from, what),
  ]);
  return { nonce, sealed };
}

/**
 * Decrypts plaintext bytes [plainOffset, plainOffset + plainLength) of an
 * age file whose header was opened with ageOpenHeader. `fileSize` is the
 * stored size: it tells which chunk is final (its nonce differs).
 */
export async function ageDecryptRange(
  opened: { readonly fileKey: Buffer; readonly headerLength: number },
  fileSize: number,
  plainOffset: number,
  plainLength: number,
  read: RangeReader,
  what: string,
): Promise<Buffer> {
  if (!Number.isSafeInteger(plainOffset) || !Number.isSafeInteger(plainLength) || plainOffset < 0 || plainLength < 0) {
    throw new RangeError(`bad plaintext range ${plainOffset}+${plainLength}`);
  }
  const payloadStart = opened.headerLength + PAYLOAD_NONCE_SIZE;
  const sealedSize = fileSize - payloadStart;
  const plainSize = plainPayloadSize(sealedSize, what);
  if (plainOffset + plainLength > plainSize) {
    throw new IntegrityError(
      "age file",
      what,
      `range ${plainOffset}+${plainLength} is beyond the plaintext size ${plainSize}`,
    );
  }
  if (plainLength === 0) return Buffer.alloc(0);
  const first = Math.floor(plainOffset / CHUNK_SIZE);
  const last = Math.floor((plainOffset + plainLength - 1) / CHUNK_SIZE);
  const finalIndex = Math.ceil(sealedSize / SEALED_CHUNK_SIZE) - 1;
  const from = payloadStart + first * SEALED_CHUNK_SIZE;
  const to = Math.min(payloadStart + (last + 1) * SEALED_CHUNK_SIZE, fileSize);
  const { nonce, sealed } = await readNonceAndChunks(read, opened.headerLength, from, to, what);
  const out = Buffer.allocUnsafe((last - first + 1) * CHUNK_SIZE);
  decryptChunks(payloadKey(opened.fileKey, nonce), sealed, first, last === finalIndex, out, what);
  const start = plainOffset - first * CHUNK_SIZE;
  return out.subarray(start, start + plainLength);
}
