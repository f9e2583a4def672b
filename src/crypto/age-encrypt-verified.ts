import { randomBytes } from "node:crypto";
import { IntegrityError } from "../core/errors.js";
import type { AgeRecipient } from "./age-keys.js";
import { encodeHeader } from "./age-header.js";
import { PAYLOAD_NONCE_SIZE, decryptChunks, encryptPayload, payloadKey, sealedPayloadSize } from "./age-stream.js";
import { wrapFileKey } from "./age-x25519.js";
import { ScratchBuffer } from "../core/scratch-buffer.js";

/** The verification decrypt's output (packs are at most ~24 MiB). */
const verifyScratch = new ScratchBuffer();

/**
 * ageEncrypt, then decrypt the payload again with the same key and compare
 * with the plaintext before anything leaves the host: a faulty cipher or
 * compressor must not ship corrupt packs. Works without any identity,
 * so a recipients-only agent verifies its data packs too.
 */
export function ageEncryptVerified(
  parts: readonly Uint8Array[],
  recipients: readonly AgeRecipient[],
  what: string,
): { file: Buffer; headerLength: number } {
  if (recipients.length === 0) throw new TypeError("ageEncryptVerified needs at least one recipient");
  const plainSize = parts.reduce((n, p) => n + p.length, 0);
  const fileKey = randomBytes(16);
  const header = encodeHeader(
    recipients.map((r) => wrapFileKey(fileKey, r)),
    fileKey,
  );
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const start = header.length + PAYLOAD_NONCE_SIZE;
  const file = Buffer.allocUnsafe(start + sealedPayloadSize(plainSize));
  header.copy(file, 0);
  nonce.copy(file, header.length);
  const key = payloadKey(fileKey, nonce);
  encryptPayload(key, parts, plainSize, file, start);
  const check = verifyScratch.atLeast(plainSize).subarray(0, plainSize);
  const n = decryptChunks(key, file.subarray(start), 0, true, check, what);
  let p = 0;
  for (const part of parts) {
    if (!check.subarray(p, p + part.length).equals(part))
      throw new IntegrityError("pack", what, "encrypted pack does not decrypt to its plaintext; not uploaded");
    p += part.length;
  }
  if (n !== plainSize)
    throw new IntegrityError(
      "pack",
      what,
      `encrypted pack decrypts to ${n} bytes, expected ${plainSize}; not uploaded`,
    );
  return { file, headerLength: header.length };
}
