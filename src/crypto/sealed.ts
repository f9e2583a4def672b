/**
 * Agent-sealed objects (index, skeletons, snapshot records): a standard age
 * file to the agent key's own recipient holding body || MAC, where
 * MAC = agent.mac(kind, body). The recipient is public (it is written in the
 * key file), so age alone would let anyone who knows it forge objects; the
 * MAC proves an agent key holder wrote this object, as this kind.
 */
import { timingSafeEqual } from "node:crypto";
import { CairnError, IntegrityError, WrongKeyError } from "../core/errors.js";
import { ageDecrypt } from "./age-file.js";
import { ageEncryptVerified } from "./age-encrypt-verified.js";
import type { AgentKey } from "./agent-key.js";

const MAC_LENGTH = 32;

/** Seals and checks the result decrypts to what was sealed (invariant 8 holds for metadata too). */
export function seal(agent: AgentKey, kind: string, body: Uint8Array): Buffer {
  return ageEncryptVerified([body, agent.mac(kind, body)], [agent.recipient], `new ${kind}`).file;
}

/** Opens a sealed object; WrongKeyError for another agent key, IntegrityError (naming `what`) for anything else. */
export function unseal(agent: AgentKey, kind: string, file: Uint8Array, what: string): Buffer {
  const plain = openAge(agent, file, what);
  if (plain.length < MAC_LENGTH) throw new IntegrityError(kind, what, "sealed object too short for its MAC");
  const body = plain.subarray(0, plain.length - MAC_LENGTH);
  if (!timingSafeEqual(agent.mac(kind, body), plain.subarray(plain.length - MAC_LENGTH))) {
    throw new IntegrityError(kind, what, `MAC mismatch: not a ${kind} written with this agent key, or tampered`);
  }
  return body;
}

function openAge(agent: AgentKey, file: Uint8Array, what: string): Buffer {
  try {
    return ageDecrypt(file, [agent.identity], what);
  } catch (err) {
    if (err instanceof WrongKeyError) {
      throw new WrongKeyError(`${what} was not sealed with this agent key; check --agent-key-file / CAIRN_AGENT_KEY`, {
        hint: "use the agent key the repository was initialised with",
        cause: err,
      });
    }
    if (err instanceof CairnError) throw err;
    throw new IntegrityError("sealed object", what, "cannot be opened", { cause: err });
  }
}
