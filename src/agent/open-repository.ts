import { readFile } from "node:fs/promises";
import type { RepositoryConfig } from "../config/config-schema.js";
import { AgentKey } from "../crypto/agent-key.js";
import { parseIdentityFile } from "../crypto/age-keys.js";
import { ConfigError } from "../errors.js";
import { Repository } from "../repository/repository.js";
import { openStorage } from "../storage/open-storage.js";
import type { Storage } from "../storage/storage.js";
import { storageOpenOptions, type StorageFlags } from "../cli/storage-options.js";

/** A `repositories.NAME` section as the backend flags `cairn backup` takes, so both paths check values the same way. */
function storageFlags(r: RepositoryConfig): StorageFlags {
  const yn = (b: boolean | undefined) => (b === undefined ? undefined : b ? "yes" : "no");
  return {
    s3Endpoint: r.s3?.endpoint,
    s3Region: r.s3?.region,
    s3PathStyle: yn(r.s3?.path_style),
    s3Checksum: r.s3?.checksum,
    s3StorageClass: r.s3?.storage_class,
    s3Sse: r.s3?.sse,
    s3SseKmsKeyId: r.s3?.sse_kms_key_id,
    s3ConditionalCreate: yn(r.s3?.conditional_create),
    s3ObjectLockMode: r.s3?.object_lock_mode,
    azureTier: r.azure?.tier,
    azureImmutabilityMode: r.azure?.immutability_mode,
    retainFor: r.retain_for,
    uploadConcurrency: r.upload_concurrency?.toString(),
    limitUpload: r.limit_upload_mib?.toString(),
  };
}

export function openRepositoryStorage(r: RepositoryConfig): Promise<Storage> {
  return openStorage(r.url, storageOpenOptions(storageFlags(r)));
}

async function agentKeyOf(name: string, r: RepositoryConfig): Promise<AgentKey | undefined> {
  if (r.agent_key_file !== undefined) {
    const text = await readFile(r.agent_key_file, "utf8").catch((e: Error) => {
      throw new ConfigError(`repositories.${name}.agent_key_file: cannot read ${r.agent_key_file}: ${e.message}`, { path: `repositories.${name}.agent_key_file` }, { hint: "mount the agent key file there or fix the path" });
    });
    return AgentKey.parse(text, r.agent_key_file);
  }
  // The key text is a secret: errors name the config key, never the value.
  return r.agent_key ? AgentKey.parse(r.agent_key, `repositories.${name}.agent_key`) : undefined;
}

/** Open a configured repository with its agent key (and restore identity, when configured, so prune can repack data). */
export async function openConfiguredRepository(name: string, r: RepositoryConfig): Promise<Repository> {
  const storage = await openRepositoryStorage(r);
  const agentKey = await agentKeyOf(name, r);
  const identities = r.identity_file === undefined ? undefined : parseIdentityFile(await readIdentityFile(name, r.identity_file), r.identity_file);
  return Repository.open(storage, { agentKey, identities });
}

function readIdentityFile(name: string, file: string): Promise<string> {
  return readFile(file, "utf8").catch((e: Error) => {
    throw new ConfigError(`repositories.${name}.identity_file: cannot read ${file}: ${e.message}`, { path: `repositories.${name}.identity_file` }, { hint: "mount the restore identity there (drills and restores need it) or fix the path" });
  });
}
