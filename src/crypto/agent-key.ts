/**
 * The agent key: the repository secret the backup agent holds. It is an age
 * X25519 identity, so agent-sealed objects are plain age files the `age` CLI
 * opens with the agent key file, and it derives three independent subkeys:
 *
 *   HKDF-SHA256(ikm = X25519 secret, salt = "cairn-v1", info = ...)
 *     "cairn blob-id"  keys blob IDs (the store learns nothing from IDs)
 *     "cairn gear"     keys the chunker's gear table (nor from boundaries)
 *     "cairn mac"      authenticates sealed objects (see sealed.ts)
 */
import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { ConfigError } from "../core/errors.js";
import { blobIdOfDigest, type BlobId, type BlobType } from "../core/ids.js";
import { generateIdentity, parseIdentityFile, type AgeIdentity, type AgeRecipient } from "./age-keys.js";
import { hkdfSha256 } from "./hkdf.js";

const SALT = "cairn-v1";
const NUL = Buffer.of(0);

export class AgentKey {
  readonly identity: AgeIdentity;
  /** Seeds the chunker's gear table. */
  readonly gearKey: Buffer;
  readonly #idKey: Buffer;
  readonly #macKey: Buffer;

  private constructor(identity: AgeIdentity) {
    this.identity = identity;
    this.gearKey = hkdfSha256(identity.secret, SALT, "cairn gear");
    this.#idKey = hkdfSha256(identity.secret, SALT, "cairn blob-id");
    this.#macKey = hkdfSha256(identity.secret, SALT, "cairn mac");
  }

  static generate(): AgentKey {
    return new AgentKey(generateIdentity());
  }

  /** Parses agent key file contents (`#` comments, one AGE-SECRET-KEY-1 line); `source` names the file or variable in errors. */
  static parse(text: string, source: string): AgentKey {
    const identities = parseIdentityFile(text, source);
    if (identities.length !== 1) {
      throw new ConfigError(
        `${source}: an agent key file holds exactly one AGE-SECRET-KEY-1 line, found ${identities.length}`,
        {
          file: source,
        },
      );
    }
    return new AgentKey(identities[0]);
  }

  get recipient(): AgeRecipient {
    return this.identity.recipient;
  }

  /** An age identity file; `age -d -i` accepts it as is. */
  toFileContents(): string {
    return [
      "# cairn agent key: keep it secret; it reads repository metadata (not file contents)",
      `# public key: ${this.recipient.toString()}`,
      this.identity.toString(),
      "",
    ].join("\n");
  }

  /** HMAC-SHA256(id key, [type] || parts...), hex. The type byte separates the ID spaces of blob kinds. */
  blobId(type: BlobType, ...parts: Uint8Array[]): BlobId {
    return keyedBlobId(this.#idKey, type, ...parts);
  }

  /**
   * A copy of the blob-ID subkey, for worker threads of this process that
   * hash file contents (pipeline/codec-worker.ts). It reveals nothing of the
   * identity or the other subkeys; never write it anywhere.
   */
  exportBlobIdKey(): Buffer {
    return Buffer.from(this.#idKey);
  }

  /** HMAC-SHA256(mac key, utf8(kind) || 0x00 || body). `kind` binds what the object claims to be. */
  mac(kind: string, body: Uint8Array): Buffer {
    if (kind.includes("\0")) throw new TypeError("mac kind must not contain NUL");
    return createHmac("sha256", this.#macKey).update(kind, "utf8").update(NUL).update(body).digest();
  }

  // Keep the secret out of logs and test failure output.
  [inspect.custom](): string {
    return `AgentKey(${this.recipient.toString()})`;
  }
}

/** The blob ID function itself, for holders of an exported blob-ID key (see AgentKey.exportBlobIdKey). */
export function keyedBlobId(idKey: Uint8Array, type: BlobType, ...parts: Uint8Array[]): BlobId {
  const hmac = createHmac("sha256", idKey).update(Buffer.of(type));
  for (const part of parts) hmac.update(part);
  return blobIdOfDigest(hmac.digest());
}
