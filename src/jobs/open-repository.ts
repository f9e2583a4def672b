import { readFile } from "node:fs/promises";
import type { RepositoryConfig } from "../config/config-schema.js";
import { AgentKey } from "../crypto/agent-key.js";
import { parseIdentityFile } from "../crypto/age-keys.js";
import { ConfigError } from "../core/errors.js";
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
    const text = await readFile(r.agent_key_file, "utf8").catch((e: Error) => {
      throw new ConfigError(
        `repositories.${name}.agent_key_file: cannot read ${r.agent_key_file}: ${e.message}`,
        { path: `repositories.${name}.agent_key_file` },
        { hint: "mount the agent key file there or fix the path" },
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
  return readFile(file, "utf8").catch((e: Error) => {
    throw new ConfigError(
      `repositories.${name}.identity_file: cannot read ${file}: ${e.message}`,
      { path: `repositories.${name}.identity_file` },
      { hint: "mount the restore identity there (drills and restores need it) or fix the path" },
    );
  });
}
