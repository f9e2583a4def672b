/**
 * The age X25519 recipient stanza:
 *
 *   -> X25519 base64(ephemeral share)
 *   base64(ChaCha20-Poly1305(wrap key, nonce 0, file key))
 *
 * wrap key = HKDF-SHA256(ikm = shared secret, salt = share || recipient,
 * info = "age-encryption.org/v1/X25519").
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { IntegrityError } from "../core/errors.js";
import { decodeBase64NoPad, encodeBase64NoPad } from "./base64.js";
import { hkdfSha256 } from "./hkdf.js";
import { identityPrivateKey, type AgeIdentity, type AgeRecipient } from "./age-keys.js";
import type { Stanza } from "./age-header.js";
import { x25519Generate, x25519SharedSecret } from "./x25519.js";

const LABEL = "age-encryption.org/v1/X25519";
const FILE_KEY_LENGTH = 16;
const TAG_LENGTH = 16;
const ZERO_NONCE = Buffer.alloc(12);

function wrapKey(shared: Buffer, share: Uint8Array, recipient: Uint8Array): Buffer {
  return hkdfSha256(shared, Buffer.concat([share, recipient]), LABEL);
}

export function wrapFileKey(fileKey: Buffer, recipient: AgeRecipient): Stanza {
  const ephemeral = x25519Generate();
  const shared = x25519SharedSecret(ephemeral.privateKey, recipient.publicKey);
  // Never print the argument: a caller mixing up types could have passed an identity (a secret).
  if (!shared) throw new TypeError("recipient is a low-order point (or not a recipient at all)");
  const cipher = createCipheriv(
    "chacha20-poly1305",
    wrapKey(shared, ephemeral.publicKey, recipient.publicKey),
    ZERO_NONCE,
    {
      authTagLength: TAG_LENGTH,
    },
  );
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { args: ["X25519", encodeBase64NoPad(ephemeral.publicKey)], body };
}

/** The file key if `identity` opens this stanza, undefined if the stanza is for someone else. */
function tryUnwrap(share: Buffer, body: Buffer, identity: AgeIdentity, what: string): Buffer | undefined {
  const shared = x25519SharedSecret(identityPrivateKey(identity), share);
  if (!shared) throw new IntegrityError("age file", what, "X25519 stanza has a low-order ephemeral share");
  const key = wrapKey(shared, share, identity.recipient.publicKey);
  const decipher = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(body.subarray(FILE_KEY_LENGTH));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_LENGTH));
  try {
    decipher.final();
    return fileKey;
  } catch {
    return undefined; // wrapped to a different recipient
  }
}

/** Tries every X25519 stanza with every identity. Malformed X25519 stanzas are errors, per the spec. */
export function unwrapFileKey(
  stanzas: readonly Stanza[],
  identities: readonly AgeIdentity[],
  what: string,
): Buffer | undefined {
  for (const stanza of stanzas) {
    if (stanza.args[0] !== "X25519") continue;
    const share = stanza.args.length === 2 ? decodeBase64NoPad(stanza.args[1]) : undefined;
    if (share?.length !== 32 || stanza.body.length !== FILE_KEY_LENGTH + TAG_LENGTH) {
      throw new IntegrityError("age file", what, "malformed header: bad X25519 stanza");
    }
    for (const identity of identities) {
      const fileKey = tryUnwrap(share, stanza.body, identity, what);
      if (fileKey) return fileKey;
    }
  }
  return undefined;
}
