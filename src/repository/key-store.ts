import { IntegrityError, RepositoryError, WrongKeyError } from "../core/errors.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeIdentity, AgeRecipient } from "../crypto/age-keys.js";
import { parseRecipient } from "../crypto/age-keys.js";
import type { Storage } from "../storage/storage.js";
import { idOfKey, isObjectKey, keyFileKey, KEYS_PREFIX } from "./format/layout.js";
import {
  keyFileAuthentic,
  makeKeyFile,
  parseKeyFile,
  unwrapSecrets,
  type KeyFile,
  type KeyFileSecrets,
} from "./format/key-ring.js";
import { sha256Hex } from "./format/sha256.js";

export interface StoredKeyFile extends KeyFile {
  objectId: string;
}

/** Reads and rotates key files (`keys/`). Writes the new key file before deleting old ones, so a crash never leaves none. */
export class KeyStore {
  /** Key files that could not be parsed on the last `all()`, by object key. */
  readonly damaged: string[] = [];

  constructor(private readonly storage: Storage) {}

  /** Every parseable key file, newest first; unparseable ones are listed in `damaged`. */
  async all(): Promise<StoredKeyFile[]> {
    const out: StoredKeyFile[] = [];
    this.damaged.length = 0;
    for await (const o of this.storage.list(KEYS_PREFIX)) {
      if (!isObjectKey(o.key)) continue; // a stray object (FORMAT.md §Layout): check reports it
      try {
        out.push({ ...parseKeyFile(await this.storage.get(o.key), o.key), objectId: idOfKey(o.key) });
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        this.damaged.push(o.key);
      }
    }
    return out.sort((a, b) => b.seq - a.seq);
  }

  /** The newest key file the agent key authenticates. */
  async current(agent: AgentKey): Promise<StoredKeyFile> {
    const files = await this.all();
    const valid = files.find((k) => keyFileAuthentic(agent, k));
    if (!valid) {
      const bad = [...this.damaged, ...files.map((k) => keyFileKey(k.objectId))];
      throw new RepositoryError(
        bad.length === 0
          ? "repository has no key file (keys/)"
          : `no key file is intact and authenticated by this agent key (${bad.join(", ")})`,
        {
          hint: "the key file is damaged or foreign; restore keys/ from a mirror of the repository (`cairn check` lists what else is damaged)",
        },
      );
    }
    return valid;
  }

  /** The recipient data packs are encrypted to (the data identity's). */
  async dataRecipient(agent: AgentKey): Promise<AgeRecipient> {
    return parseRecipient((await this.current(agent)).dataRecipient);
  }

  /** Unwrap the agent key and the data identity from the newest key file one of the identities opens. */
  async unwrap(identities: readonly AgeIdentity[]): Promise<KeyFileSecrets> {
    for (const k of await this.all()) {
      const s = unwrapSecrets(k, identities, keyFileKey(k.objectId));
      if (s && keyFileAuthentic(s.agent, k)) return s;
    }
    throw new WrongKeyError("none of the given identities can open this repository's key files", {
      hint: "check --identity / CAIRN_IDENTITY_FILE: it must be an identity whose recipient was given to `cairn init` or `cairn key add`",
    });
  }

  /** Write a key file wrapping the secrets to `recipients` with the next sequence number, then remove the older ones. */
  async replace(secrets: KeyFileSecrets, recipients: readonly AgeRecipient[], now: Date): Promise<string> {
    const old = await this.all();
    const seq = old.length === 0 ? 0 : old[0].seq + 1;
    const bytes = makeKeyFile(secrets, recipients, seq, now);
    const id = sha256Hex(bytes);
    await this.storage.put(keyFileKey(id), bytes);
    for (const k of old) if (k.objectId !== id) await this.storage.delete(keyFileKey(k.objectId));
    return id;
  }
}
