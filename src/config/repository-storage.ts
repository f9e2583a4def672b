import { parseRetainFor, type StorageSettings } from "../storage/location/storage-settings.js";
import type { RepositoryConfig } from "./config-schema.js";
import { parseExactDuration } from "../retention/duration.js";

/**
 * A `repositories.NAME` section's backend settings in the typed model the CLI's
 * flags also produce (src/cli/shared/storage-flags.ts). The schema has already
 * checked every value's syntax, so this only renames.
 */
export function repositoryStorageSettings(r: RepositoryConfig): StorageSettings {
  return {
    s3: r.s3 && {
      endpoint: r.s3.endpoint,
      region: r.s3.region,
      pathStyle: r.s3.path_style,
      checksum: r.s3.checksum,
      storageClass: r.s3.storage_class,
      sse: r.s3.sse,
      sseKmsKeyId: r.s3.sse_kms_key_id,
      conditionalCreate: r.s3.conditional_create,
      objectLockMode: r.s3.object_lock_mode,
    },
    azure: r.azure && { tier: r.azure.tier, immutabilityMode: r.azure.immutability_mode },
    retainForMs: r.retain_for === undefined ? undefined : parseRetainFor(r.retain_for),
    uploadConcurrency: r.upload_concurrency,
    uploadBytesPerSecond: r.limit_upload_mib === undefined ? undefined : Math.round(r.limit_upload_mib * 1024 * 1024),
    timeoutMs: r.timeout === undefined ? undefined : parseExactDuration(r.timeout, "timeout"),
  };
}
