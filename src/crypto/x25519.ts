/**
 * Raw 32-byte X25519 keys on top of node:crypto, which only imports keys as
 * DER/JWK: we prepend the fixed RFC 8410 PKCS#8 / SPKI prefixes.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

export function x25519PrivateKey(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" });
}

export function x25519PublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
}

/** The raw public key of a public key, or of a private key's public half. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return Buffer.from(pub.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length));
}

export function rawSecretKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length));
}

/** A fresh key pair as raw bytes plus the private KeyObject (for the DH that follows). */
export function x25519Generate(): { privateKey: KeyObject; secret: Buffer; publicKey: Buffer } {
  const pair = generateKeyPairSync("x25519");
  return {
    privateKey: pair.privateKey,
    secret: rawSecretKey(pair.privateKey),
    publicKey: rawPublicKey(pair.publicKey),
  };
}

/**
 * The shared secret, or undefined when it would be all zeros (a low-order
 * peer point: OpenSSL refuses, and age requires aborting in that case).
 */
export function x25519SharedSecret(privateKey: KeyObject, peerPublic: Uint8Array): Buffer | undefined {
  try {
    return diffieHellman({ privateKey, publicKey: x25519PublicKey(peerPublic) });
  } catch {
    return undefined;
  }
}
