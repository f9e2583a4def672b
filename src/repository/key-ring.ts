import { z } from "zod";
import { IntegrityError, WrongKeyError } from "../errors.js";
import { AgentKey } from "../crypto/agent-key.js";
import { ageDecrypt, ageEncrypt } from "../crypto/age-file.js";
import type { AgeIdentity, AgeRecipient } from "../crypto/age-keys.js";
import { parseRecipient } from "../crypto/age-keys.js";
import { decodeJson, encodeJson } from "./json-body.js";

/**
 * A key file (`keys/<sha256>`, docs/FORMAT.md §Keys): the recipient set the
 * agent encrypts data to, and the agent key wrapped (age) to those recipients,
 * so an identity alone can open the repository. Plain JSON because an
 * identity holder must read it before knowing the agent key; the recipient
 * list is authenticated by a MAC under the agent key so a hostile store
 * cannot add its own recipient. The newest valid `seq` wins.
 */
const KeyFileSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  created: z.string(),
  recipients: z.array(z.string()).min(1),
  wrappedAgentKey: z.string(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

function macInput(k: Omit<KeyFile, "mac">): Buffer {
  return encodeJson([k.version, k.seq, k.created, k.recipients, k.wrappedAgentKey]);
}

export function makeKeyFile(agent: AgentKey, recipients: readonly AgeRecipient[], seq: number, now: Date): Buffer {
  const wrapped = ageEncrypt(Buffer.from(agent.toFileContents(), "utf8"), recipients).toString("base64");
  const body = { version: 1 as const, seq, created: now.toISOString(), recipients: recipients.map(String), wrappedAgentKey: wrapped };
  return encodeJson({ ...body, mac: agent.mac("keys", macInput(body)).toString("hex") });
}

export function parseKeyFile(bytes: Uint8Array, what: string): KeyFile {
  const r = KeyFileSchema.safeParse(decodeJson(bytes, "key file", what));
  if (!r.success) throw new IntegrityError("key file", what, r.error.message);
  return r.data;
}

/** True when the key file's recipient list was written by the holder of `agent`. */
export function keyFileAuthentic(agent: AgentKey, k: KeyFile): boolean {
  return agent.mac("keys", macInput(k)).toString("hex") === k.mac;
}

export function keyFileRecipients(k: KeyFile): AgeRecipient[] {
  return k.recipients.map((r) => parseRecipient(r));
}

/** Unwrap the agent key with a restore identity; undefined when none of the identities match. */
export function unwrapAgentKey(k: KeyFile, identities: readonly AgeIdentity[], what: string): AgentKey | undefined {
  try {
    const plain = ageDecrypt(Buffer.from(k.wrappedAgentKey, "base64"), identities, what);
    return AgentKey.parse(plain.toString("utf8"), what);
  } catch (e) {
    if (e instanceof WrongKeyError) return undefined;
    throw e;
  }
}
