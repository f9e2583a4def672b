import { readFile } from "node:fs/promises";
import type { RepositoryConfig } from "../config/config-schema.js";
import { AgentKey } from "../crypto/agent-key.js";
import { parseIdentityFile } from "../crypto/age-keys.js";
import { UserFileError } from "../core/errors.js";
import { repositoryStorageSettings } from "../config/repository-storage.js";
import { DATA_PREFIX } from "../repository/format/layout.js";
import { Repository } from "../repository/repository.js";
import { openStorage } from "../storage/location/open-storage.js";
import { storageOptions, type StorageSettings } from "../storage/location/storage-settings.js";
import type { Storage } from "../storage/storage.js";

/**
 * The storage at `url` with the user's backend settings (from flags or YAML).
 * Storage classes and access tiers apply to data packs only: metadata is small
 * and read often (FORMAT.md §Layout).
 */
export function openRepositoryStorage(url: string, settings: StorageSettings): Promise<Storage> {
  return openStorage(url, storageOptions(settings, [DATA_PREFIX]));
}

/** The storage of a configured repository (`repositories.NAME`). */
export function openConfiguredStorage(r: RepositoryConfig): Promise<Storage> {
  return openRepositoryStorage(r.url, repositoryStorageSettings(r));
}

async function agentKeyOf(name: string, r: RepositoryConfig): Promise<AgentKey | undefined> {
  if (r.agent_key_file !== undefined) {
    const file = r.agent_key_file;
    const text = await readFile(file, "utf8").catch((e: unknown) => {
      throw new UserFileError(
        `repositories.${name}.agent_key_file`,
        { verb: "read", thing: "agent key file" },
        file,
        e,
        "mount the agent key file there or fix the path",
      );
    });
    return AgentKey.parse(text, r.agent_key_file);
  }
  // The key text is a secret: errors name the config key, never the value.
  return r.agent_key ? AgentKey.parse(r.agent_key, `repositories.${name}.agent_key`) : undefined;
}

/** Open a configured repository with its agent key (and restore identity, when configured, so prune can repack data). */
export async function openConfiguredRepository(name: string, r: RepositoryConfig): Promise<Repository> {
  const storage = await openConfiguredStorage(r);
  const agentKey = await agentKeyOf(name, r);
  const identities =
    r.identity_file === undefined
      ? undefined
      : parseIdentityFile(await readIdentityFile(name, r.identity_file), r.identity_file);
  return Repository.open(storage, { agentKey, identities });
}

function readIdentityFile(name: string, file: string): Promise<string> {
  return readFile(file, "utf8").catch((e: unknown) => {
    throw new UserFileError(
      `repositories.${name}.identity_file`,
      { verb: "read", thing: "identity file" },
      file,
      e,
      "mount the restore identity there (drills and restores need it) or fix the path",
    );
  });
}
