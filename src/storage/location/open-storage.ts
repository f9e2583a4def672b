import type { Storage } from "../storage.js";
import { LocalStorage } from "../local/local-storage.js";
import { RetryingStorage, type RetryOptions } from "../retrying-storage.js";
import type { S3Options } from "../s3/s3-options.js";
import type { AzureOptions } from "../azure/azure-options.js";
import { ConcurrencyLimitedStorage } from "../concurrency-limited-storage.js";
import { BandwidthLimitedStorage } from "../bandwidth-limited-storage.js";
import { parseStorageUrl, type StorageLocation } from "./storage-url.js";

export interface OpenStorageOptions {
  retry?: RetryOptions;
  /** Options for `s3://` locations (credentials and endpoint also come from the AWS environment). */
  s3?: S3Options;
  /** Options for `azure://` locations (credentials also come from AZURE_STORAGE_* variables). */
  azure?: AzureOptions;
  /** Writes in flight at once, across the whole process. */
  uploadConcurrency?: number;
  /** Upload bandwidth cap in bytes per second; unlimited when unset. */
  uploadBytesPerSecond?: number;
}

// Four writes in flight keep a typical uplink busy while two cores compress
// and seal; more mostly adds memory (each in-flight pack is up to 24 MiB).
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

/**
 * Opens a parsed location; retry and limits are applied to every backend in
 * openStorage. The cloud SDKs are imported only when a location needs them:
 * loading them is most of a command's start-up (docs/PERFORMANCE.md §Startup
 * and per-command overheads), and a local repository needs neither.
 */
async function openLocation(loc: StorageLocation, opts: OpenStorageOptions): Promise<Storage> {
  switch (loc.kind) {
    case "local":
      return new LocalStorage(loc.path);
    case "s3":
      return new (await import("../s3/s3-storage.js")).S3Storage(loc.bucket, opts.s3);
    case "azure":
      return new (await import("../azure/azure-storage.js")).AzureStorage(loc.bucket, opts.azure);
  }
}

/**
 * Opens the repository location `url`: a plain path, `file:///abs/path`,
 * `local:path`, `s3://bucket/prefix` or `azure://container/prefix`. The result
 * retries transient faults and bounds concurrent (and optionally paced) uploads.
 *
 * @example
 * const storage = await openStorage("/srv/backups/repo");
 * const cloud = await openStorage("s3://my-bucket/backups/app1", { s3: { storageClass: "STANDARD_IA" } });
 */
export async function openStorage(url: string, opts: OpenStorageOptions = {}): Promise<Storage> {
  let storage = await openLocation(parseStorageUrl(url), opts);
  if (opts.uploadBytesPerSecond !== undefined)
    storage = new BandwidthLimitedStorage(storage, opts.uploadBytesPerSecond);
  storage = new ConcurrencyLimitedStorage(storage, opts.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY);
  return new RetryingStorage(storage, opts.retry);
}
