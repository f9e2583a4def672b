/**
 * age X25519 identities (`AGE-SECRET-KEY-1...`) and recipients (`age1...`).
 * Only X25519: it is what Debian's age 1.1 CLI reads and writes, and what the
 * restore identity and the agent key both are.
 */
import { inspect } from "node:util";
import type { KeyObject } from "node:crypto";
import { ConfigError, UsageError } from "../core/errors.js";
import { decodeBech32, encodeBech32 } from "./bech32.js";
import { rawPublicKey, x25519Generate, x25519PrivateKey } from "./x25519.js";

export interface AgeRecipient {
  readonly publicKey: Buffer;
  /** `age1...` */
  toString(): string;
}

export interface AgeIdentity {
  readonly kind: "x25519";
  /** The 32-byte X25519 scalar, as encoded in the bech32 string. */
  readonly secret: Buffer;
  readonly recipient: AgeRecipient;
  /** `AGE-SECRET-KEY-1...` */
  toString(): string;
}

const RECIPIENT_HRP = "age";
const IDENTITY_HRP = "AGE-SECRET-KEY-";

class X25519Recipient implements AgeRecipient {
  constructor(readonly publicKey: Buffer) {}
  toString(): string {
    return encodeBech32(RECIPIENT_HRP, this.publicKey);
  }
}

class X25519Identity implements AgeIdentity {
  readonly kind = "x25519" as const;
  readonly recipient: AgeRecipient;
  constructor(
    readonly secret: Buffer,
    readonly privateKey: KeyObject,
  ) {
    this.recipient = new X25519Recipient(rawPublicKey(privateKey));
  }
  toString(): string {
    return encodeBech32(IDENTITY_HRP, this.secret);
  }
  // Keep the secret out of logs and test failure output.
  [inspect.custom](): string {
    return `AgeIdentity(${this.recipient.toString()})`;
  }
}

/** A new random identity. */
export function generateIdentity(): AgeIdentity {
  const { privateKey, secret } = x25519Generate();
  return new X25519Identity(secret, privateKey);
}

/** Parses one `AGE-SECRET-KEY-1...` string. Never echoes the input (it may be a secret). */
export function parseIdentity(text: string): AgeIdentity {
  const decoded = decodeBech32(text.trim());
  if (!decoded || decoded.hrp !== IDENTITY_HRP || decoded.bytes.length !== 32) {
    throw new UsageError("not an age X25519 identity (expected AGE-SECRET-KEY-1...)");
  }
  return new X25519Identity(decoded.bytes, x25519PrivateKey(decoded.bytes));
}

/** Parses one `age1...` recipient. */
export function parseRecipient(text: string): AgeRecipient {
  const s = text.trim();
  const decoded = decodeBech32(s);
  if (!decoded || decoded.hrp !== RECIPIENT_HRP || decoded.bytes.length !== 32) {
    throw new UsageError(`not an age X25519 recipient (expected age1...): ${JSON.stringify(s.slice(0, 80))}`);
  }
  return new X25519Recipient(decoded.bytes);
}

const privateKeys = new WeakMap<AgeIdentity, KeyObject>();

/** The node:crypto key for an identity, cached so opening many files does not re-import it. */
export function identityPrivateKey(identity: AgeIdentity): KeyObject {
  if (identity instanceof X25519Identity) return identity.privateKey;
  let key = privateKeys.get(identity);
  if (!key) privateKeys.set(identity, (key = x25519PrivateKey(identity.secret)));
  return key;
}

/** Why a non-comment line is not an identity, without quoting it (it may hold a secret). */
function describeJunk(line: string): string {
  if (line.startsWith("age1")) return "is a recipient (public key), not an identity";
  if (line.startsWith("AGE-SECRET-KEY-PQ-") || line.startsWith("AGE-PLUGIN-")) {
    return "is a post-quantum or plugin identity; only X25519 (AGE-SECRET-KEY-1...) is supported";
  }
  if (line.startsWith("age-encryption.org/") || line.startsWith("-----BEGIN AGE")) {
    return "looks like an encrypted identity file; decrypt it first (age -d)";
  }
  return "is not an age X25519 identity (expected AGE-SECRET-KEY-1...)";
}

/**
 * Parses an age identity file: one identity per line, `#` comments and blank
 * lines ignored, at least one identity. Errors name the file and line.
 */
export function parseIdentityFile(contents: string, fileName: string): AgeIdentity[] {
  const identities: AgeIdentity[] = [];
  const lines = contents.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      identities.push(parseIdentity(line));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      throw new ConfigError(`${fileName}:${i + 1}: line ${describeJunk(line)}`, { file: fileName, line: i + 1 });
    }
  }
  if (identities.length === 0) {
    throw new ConfigError(`${fileName}: no age identity found (expected a line AGE-SECRET-KEY-1...)`, {
      file: fileName,
    });
  }
  return identities;
}
