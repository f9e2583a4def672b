import { hkdfSync } from "node:crypto";

/** HKDF-SHA256 (RFC 5869, extract then expand) to a 32-byte key, as age and cairn's subkeys use it. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | string, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));
}
