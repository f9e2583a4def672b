import { UsageError } from "../../core/errors.js";
import type { Clock } from "../../core/clock.js";

export type AzureTier = "Hot" | "Cool" | "Cold";
export const AZURE_TIERS: readonly AzureTier[] = ["Hot", "Cool", "Cold"];

export type AzureImmutabilityMode = "Unlocked" | "Locked";
export const AZURE_IMMUTABILITY_MODES: readonly AzureImmutabilityMode[] = ["Unlocked", "Locked"];

/**
 * How to reach and write an Azure Blob container. Credentials, in order of
 * precedence: `connectionString`; `accountName` + `accountKey`; `sasToken`
 * (with `accountName` or `endpoint`); otherwise DefaultAzureCredential
 * (managed identity, workload identity, `az login`) for `accountName`.
 */
export interface AzureOptions {
  /** AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** AZURE_STORAGE_ACCOUNT. */
  accountName?: string;
  /** AZURE_STORAGE_KEY. */
  accountKey?: string;
  /** AZURE_STORAGE_SAS_TOKEN, with or without the leading `?`. */
  sasToken?: string;
  /** Blob service URL (AZURE_STORAGE_BLOB_ENDPOINT); defaults to https://<account>.blob.core.windows.net. */
  endpoint?: string;
  /** Access tier for blobs whose key starts with one of `tierPrefixes` (all when unset). */
  tier?: AzureTier;
  tierPrefixes?: readonly string[];
  /** Version-level immutability (WORM) until now + retainFor on every blob written. */
  immutability?: { retainForMs: number; mode?: AzureImmutabilityMode };
  /** Blobs up to this size go in one Put Blob; larger ones as blocks of this size. */
  blockSize?: number;
  /** Blobs per list page (Azure allows up to 5000). */
  listPageSize?: number;
  /** Blocks of one blob in flight at once. */
  blockConcurrency?: number;
  /** A request with no byte either way for this long fails, transiently (default DEFAULT_STORAGE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Test hook: the SDK's HTTP client (request-shape and fault tests). */
  httpClient?: unknown;
  clock?: Clock;
}

const MiB = 1024 * 1024;
// Same reasoning as S3: whole 16-24 MiB packs in one request; Put Blob accepts up to 5000 MiB.
export const AZURE_DEFAULT_BLOCK_SIZE = 32 * MiB;
// Put Block takes at most 4000 MiB; anything tiny would waste requests.
const MIN_BLOCK = 1 * MiB;
const MAX_BLOCK = 4000 * MiB;

export function validateAzureOptions(o: AzureOptions): void {
  const tier = o.tier as string | undefined;
  if (tier !== undefined && !["Hot", "Cool", "Cold"].includes(tier)) {
    const archive = tier.toLowerCase() === "archive";
    throw new UsageError(
      `${archive ? "the Archive tier needs rehydration before every read" : `unknown access tier ${JSON.stringify(tier)}`}`,
      {
        hint: "use Hot, Cool or Cold for a repository; move old data to Archive with a lifecycle rule only if you accept manual rehydration",
      },
    );
  }
  if (o.immutability) {
    if (!(o.immutability.retainForMs > 0))
      throw new UsageError("immutability needs a positive retain-for duration (e.g. --retain-for 30d)");
    const mode = o.immutability.mode;
    if (mode !== undefined && mode !== "Unlocked" && mode !== "Locked")
      throw new UsageError(`unknown immutability mode ${JSON.stringify(mode)}`, { hint: "use Unlocked or Locked" });
  }
  if (
    o.blockSize !== undefined &&
    !(Number.isSafeInteger(o.blockSize) && o.blockSize >= MIN_BLOCK && o.blockSize <= MAX_BLOCK)
  ) {
    throw new UsageError(`Azure block size must be between 1 MiB and 4000 MiB, got ${o.blockSize}`);
  }
}
