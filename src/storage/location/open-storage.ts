import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";
import type { Storage } from "../storage.js";
import { LocalStorage } from "../local/local-storage.js";
import { RetryingStorage, type RetryOptions } from "../retrying-storage.js";
import type { S3Options } from "../s3/s3-options.js";
import type { AzureOptions } from "../azure/azure-options.js";
import { ConcurrencyLimitedStorage } from "../concurrency-limited-storage.js";
import { BandwidthLimitedStorage } from "../bandwidth-limited-storage.js";

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

type Opener = (url: string, opts: OpenStorageOptions) => Storage | Promise<Storage>;

/**
 * Backends by URL scheme; retry and limits are applied to every backend in
 * openStorage. The cloud SDKs are imported only when a location needs them:
 * loading them is most of a command's start-up (docs/PERFORMANCE.md §Startup
 * and per-command overheads), and a local repository needs neither.
 */
const OPENERS: Record<string, Opener> = {
  "file:": (url) => new LocalStorage(fileURLToPath(url)),
  "local:": (url) => new LocalStorage(nonEmpty(url.slice("local:".length), url)),
  "s3:": async (url, o) => (await import("../s3/s3-storage.js")).S3Storage.fromUrl(url, o.s3),
  "azure:": async (url, o) => (await import("../azure/azure-storage.js")).AzureStorage.fromUrl(url, o.azure),
};

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
  if (url.trim() === "") throw new UsageError("repository location is empty");
  const scheme = schemeOf(url);
  const open = scheme === undefined ? () => new LocalStorage(url) : OPENERS[scheme];
  if (!open) {
    throw new UsageError(`unknown repository scheme ${JSON.stringify(scheme)} in ${JSON.stringify(url)}`, {
      hint: `use a path, file://, local:, s3:// or azure://`,
    });
  }
  let storage = await open(url, opts);
  if (opts.uploadBytesPerSecond !== undefined)
    storage = new BandwidthLimitedStorage(storage, opts.uploadBytesPerSecond);
  storage = new ConcurrencyLimitedStorage(storage, opts.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY);
  return new RetryingStorage(storage, opts.retry);
}

function nonEmpty(path: string, url: string): string {
  if (path === "") throw new UsageError(`no path in ${JSON.stringify(url)}`, { hint: "write local:/path/to/repo" });
  return path;
}

// Two or more letters before the colon, so a Windows drive (`C:\repo`) stays a path.
function schemeOf(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(url);
  return m ? `${m[1].toLowerCase()}:` : undefined;
}
