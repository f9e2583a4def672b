import { UsageError } from "../../core/errors.js";
import type { AzureImmutabilityMode, AzureTier } from "../azure/azure-options.js";
import type { ObjectLockMode, S3ChecksumMode, S3Sse } from "../s3/s3-options.js";
import type { OpenStorageOptions } from "./open-storage.js";

/**
 * A repository location's backend settings as the user gives them: the same
 * typed model whether they come from flags (`--s3-endpoint`, `--retain-for`,
 * ...; src/cli/shared/storage-flags.ts) or from a `repositories.NAME` section
 * of the YAML config (src/config/repository-storage.ts). Each side checks its
 * own syntax; storageOptions() turns the result into what openStorage takes.
 */
export interface StorageSettings {
  s3?: S3Settings;
  azure?: AzureSettings;
  /** Lock every object written for this long, in ms (S3 Object Lock / Azure immutability). */
  retainForMs?: number;
  /** Writes in flight at once (default DEFAULT_UPLOAD_CONCURRENCY). */
  uploadConcurrency?: number;
  /** Upload bandwidth cap in bytes per second; unlimited when unset. */
  uploadBytesPerSecond?: number;
  /** A cloud request silent for this long fails and is retried (default DEFAULT_STORAGE_TIMEOUT_MS). */
  timeoutMs?: number;
}

export interface S3Settings {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  checksum?: S3ChecksumMode;
  /** Storage class for the tiered keys (see storageOptions). */
  storageClass?: string;
  sse?: S3Sse;
  sseKmsKeyId?: string;
  conditionalCreate?: boolean;
  /** Object Lock mode used with retainForMs (default GOVERNANCE). */
  objectLockMode?: ObjectLockMode;
}

export interface AzureSettings {
  /** Access tier for the tiered keys (see storageOptions). */
  tier?: AzureTier;
  /** Immutability policy mode used with retainForMs (default Unlocked). */
  immutabilityMode?: AzureImmutabilityMode;
}

/**
 * The openStorage options for `settings`. The storage class and access tier
 * apply only to keys under `tieredPrefixes`: the caller (who knows the
 * repository layout) passes where bulk data lives, because metadata is small
 * and read often, and infrequent-access classes bill a minimum size and per read.
 */
export function storageOptions(settings: StorageSettings, tieredPrefixes: readonly string[]): OpenStorageOptions {
  const { s3 = {}, azure = {}, retainForMs } = settings;
  return {
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      pathStyle: s3.pathStyle,
      checksum: s3.checksum,
      storageClass: s3.storageClass,
      storageClassPrefixes: tieredPrefixes,
      sse: s3.sse,
      sseKmsKeyId: s3.sseKmsKeyId,
      conditionalCreate: s3.conditionalCreate,
      objectLock: retainForMs === undefined ? undefined : { mode: s3.objectLockMode ?? "GOVERNANCE", retainForMs },
      timeoutMs: settings.timeoutMs,
    },
    azure: {
      tier: azure.tier,
      tierPrefixes: tieredPrefixes,
      immutability: retainForMs === undefined ? undefined : { retainForMs, mode: azure.immutabilityMode },
      timeoutMs: settings.timeoutMs,
    },
    uploadConcurrency: settings.uploadConcurrency,
    uploadBytesPerSecond: settings.uploadBytesPerSecond,
  };
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };

/** `30d`, `12h`, `1y` (365 days): retention is a span of time, not a calendar date. */
export function parseRetainFor(text: string): number {
  const m = /^(\d+)([hdy])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    throw new UsageError(`--retain-for ${JSON.stringify(text)} is not a duration`, {
      hint: "write a positive number with h, d or y, e.g. 30d",
    });
  return Number(m[1]) * UNIT_MS[m[2]];
}
