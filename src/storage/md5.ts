import { createHash } from "node:crypto";

/**
 * MD5 of a body about to be sent: the transport checksum S3 (Content-MD5) and
 * Azure (transactional MD5) verify on arrival. Integrity at rest is SHA-256
 * (object names); MD5 only guards the wire, which is all these headers are for.
 */
export function md5Bytes(bytes: Uint8Array): Uint8Array {
  return createHash("md5").update(bytes).digest();
}

export function md5Base64(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("base64");
}
