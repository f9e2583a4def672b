/**
 * Unpadded standard base64 (RFC 4648 section 4, no `=`), as the age header
 * uses it. Node's decoder is lenient (skips junk, accepts non-canonical
 * trailing bits), and the age spec requires rejecting both, so decoding
 * re-encodes and compares.
 */
const ALPHABET = /^[A-Za-z0-9+/]*$/;

export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

/** Returns undefined for anything that is not canonical unpadded base64. */
export function decodeBase64NoPad(s: string): Buffer | undefined {
  if (!ALPHABET.test(s) || s.length % 4 === 1) return undefined;
  const bytes = Buffer.from(s, "base64");
  return encodeBase64NoPad(bytes) === s ? bytes : undefined;
}
