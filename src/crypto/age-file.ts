/**
 * Standard age v1 files (c2sp.org/age), X25519 recipients only, whole-file
 * in memory (cairn's packs and metadata objects are at most ~24 MiB), plus
 * ranged decryption of a few STREAM chunks for restoring single blobs.
 */
import { randomBytes } from "node:crypto";
import { IntegrityError, WrongKeyError } from "../core/errors.js";
import type { AgeIdentity, AgeRecipient } from "./age-keys.js";
import { encodeHeader, locateHeaderEnd, parseHeader, verifyHeaderMac } from "./age-header.js";
import {
  CHUNK_SIZE,
  PAYLOAD_NONCE_SIZE,
  decryptChunks,
  encryptPayload,
  payloadKey,
  plainPayloadSize,
  sealedPayloadSize,
} from "./age-stream.js";
import { unwrapFileKey, wrapFileKey } from "./age-x25519.js";

export { AGE_MAX_HEADER_LENGTH } from "./age-header.js";
export { ageDecryptRange } from "./age-range.js";

/** What ageOpenHeader returns: enough to decrypt any part of the payload. */
export interface OpenedAgeHeader {
  readonly fileKey: Buffer;
  readonly headerLength: number;
}

/** Encrypts to every recipient. `plaintext` may be given in parts to spare the caller a concat. */
export function ageEncrypt(plaintext: Uint8Array | readonly Uint8Array[], recipients: readonly AgeRecipient[]): Buffer {
  if (recipients.length === 0) throw new TypeError("ageEncrypt needs at least one recipient");
  const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
  const plainSize = parts.reduce((n, p) => n + p.length, 0);
  const fileKey = randomBytes(16);
  const header = encodeHeader(
    recipients.map((r) => wrapFileKey(fileKey, r)),
    fileKey,
  );
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const out = Buffer.allocUnsafe(header.length + PAYLOAD_NONCE_SIZE + sealedPayloadSize(plainSize));
  header.copy(out, 0);
  nonce.copy(out, header.length);
  encryptPayload(payloadKey(fileKey, nonce), parts, plainSize, out, header.length + PAYLOAD_NONCE_SIZE);
  return out;
}

/**
 * Header length (through the MAC line's newline) if `prefix` holds the whole
 * header, undefined if more bytes are needed. Throws IntegrityError when the
 * prefix is not an age header, or no header end appears within
 * AGE_MAX_HEADER_LENGTH bytes (so a caller growing its prefix always stops).
 */
export function ageHeaderLength(prefix: Uint8Array, what = "age file"): number | undefined {
  return locateHeaderEnd(prefix, what);
}

/** Finds the file key with one of `identities` and checks the header MAC. `file` may be just a prefix holding the header. */
export function ageOpenHeader(file: Uint8Array, identities: readonly AgeIdentity[], what: string): OpenedAgeHeader {
  const header = parseHeader(file, what);
  const fileKey = unwrapFileKey(header.stanzas, identities, what);
  if (!fileKey) {
    throw new WrongKeyError(
      `${what}: no identity matched (it is encrypted to other recipients, or its header is damaged)`,
      {
        hint: "pass the identity the repository was initialised for",
      },
    );
  }
  verifyHeaderMac(header, fileKey, what);
  return { fileKey, headerLength: header.length };
}

/** Plaintext size of an age file from its total size and header length. */
export function agePlaintextSize(fileSize: number, headerLength: number, what = "age file"): number {
  const sealed = fileSize - headerLength - PAYLOAD_NONCE_SIZE;
  if (sealed < 0) throw new IntegrityError("age file", what, "truncated: missing payload nonce");
  return plainPayloadSize(sealed, what);
}

/** Decrypts and authenticates a whole file; throws rather than return anything unauthenticated. */
export function ageDecrypt(file: Uint8Array, identities: readonly AgeIdentity[], what: string, into?: Buffer): Buffer {
  const { fileKey, headerLength } = ageOpenHeader(file, identities, what);
  const plainSize = agePlaintextSize(file.length, headerLength, what);
  const payloadStart = headerLength + PAYLOAD_NONCE_SIZE;
  const key = payloadKey(fileKey, file.subarray(headerLength, payloadStart));
  // `into` (a reusable buffer, e.g. check's) spares a fresh allocation when the caller is done with the plaintext before the next call.
  const out = into && into.length >= plainSize ? into.subarray(0, plainSize) : Buffer.allocUnsafe(plainSize);
  decryptChunks(key, file.subarray(payloadStart), 0, true, out, what);
  return out;
}

export { CHUNK_SIZE as AGE_CHUNK_SIZE };
