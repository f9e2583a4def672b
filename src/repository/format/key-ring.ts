import { z } from "zod";
import { IntegrityError, WrongKeyError } from "../../core/errors.js";
import { AgentKey } from "../../crypto/agent-key.js";
import { ageDecrypt, ageEncrypt } from "../../crypto/age-file.js";
import type { AgeIdentity, AgeRecipient } from "../../crypto/age-keys.js";
import { parseIdentityFile, parseRecipient } from "../../crypto/age-keys.js";
import { decodeJson, encodeJson } from "./json-body.js";

/**
 * A key file (`keys/<sha256>`, docs/FORMAT.md §Key files). Data packs are
 * encrypted to the repository's *data identity*, whose secret is wrapped to
 * the restore recipients; the agent key is wrapped to them too. So recipients
 * rotate by rewrapping two small secrets, never by re-encrypting data. Plain
 * JSON because an identity holder reads it before knowing the agent key; the
 * whole content is authenticated by a MAC under the agent key, so a hostile
 * store can neither add its own recipient nor swap the data recipient.
 */
const KeyFileSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  created: z.string(),
  recipients: z.array(z.string()).min(1),
  dataRecipient: z.string(),
  wrappedAgentKey: z.string(),
  wrappedDataIdentity: z.string(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

function macInput(k: Omit<KeyFile, "mac">): Buffer {
  return encodeJson([
    k.version,
    k.seq,
    k.created,
    k.recipients,
    k.dataRecipient,
    k.wrappedAgentKey,
    k.wrappedDataIdentity,
  ]);
}

export interface KeyFileSecrets {
  agent: AgentKey;
  dataIdentity: AgeIdentity;
}

export function makeKeyFile(s: KeyFileSecrets, recipients: readonly AgeRecipient[], seq: number, now: Date): Buffer {
  const wrap = (text: string) => ageEncrypt(Buffer.from(text, "utf8"), recipients).toString("base64");
  const body = {
    version: 1 as const,
    seq,
    created: now.toISOString(),
    recipients: recipients.map(String),
    dataRecipient: String(s.dataIdentity.recipient),
    wrappedAgentKey: wrap(s.agent.toFileContents()),
    wrappedDataIdentity: wrap(`# cairn data identity\n${s.dataIdentity}\n`),
  };
  return encodeJson({ ...body, mac: s.agent.mac("keys", macInput(body)).toString("hex") });
}

export function parseKeyFile(bytes: Uint8Array, what: string): KeyFile {
  const r = KeyFileSchema.safeParse(decodeJson(bytes, "key file", what));
  if (!r.success) throw new IntegrityError("key file", what, r.error.message);
  // Decoded here, so no reader of a parsed key file meets a recipient it cannot parse (docs/FORMAT.md §Key files).
  for (const recipient of [...r.data.recipients, r.data.dataRecipient]) {
    try {
      parseRecipient(recipient);
    } catch {
      throw new IntegrityError(
        "key file",
        what,
        `${JSON.stringify(recipient.slice(0, 80))} is not an age X25519 recipient`,
      );
    }
  }
  return r.data;
}

/** True when the key file was written by the holder of `agent`. */
export function keyFileAuthentic(agent: AgentKey, k: KeyFile): boolean {
  return agent.mac("keys", macInput(k)).toString("hex") === k.mac;
}

export function keyFileRecipients(k: KeyFile): AgeRecipient[] {
  return k.recipients.map((r) => parseRecipient(r));
}

/** Unwrap both secrets with a restore identity; undefined when none of the identities is a recipient. */
export function unwrapSecrets(
  k: KeyFile,
  identities: readonly AgeIdentity[],
  what: string,
): KeyFileSecrets | undefined {
  try {
    const agent = AgentKey.parse(
      ageDecrypt(Buffer.from(k.wrappedAgentKey, "base64"), identities, what).toString("utf8"),
      what,
    );
    const data = parseIdentityFile(
      ageDecrypt(Buffer.from(k.wrappedDataIdentity, "base64"), identities, what).toString("utf8"),
      what,
    );
    if (data.length !== 1 || String(data[0].recipient) !== k.dataRecipient)
      throw new IntegrityError("key file", what, "wrapped data identity does not match dataRecipient");
    return { agent, dataIdentity: data[0] };
  } catch (e) {
    if (e instanceof WrongKeyError) return undefined;
    throw e;
  }
}
