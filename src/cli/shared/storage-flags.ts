import type { Command } from "commander";
import { Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { TIMER } from "../../config/duration-bounds.js";
import { parseExactDuration } from "../../retention/duration.js";
import { AZURE_IMMUTABILITY_MODES, AZURE_TIERS } from "../../storage/azure/azure-options.js";
import { parseRetainFor, type StorageSettings } from "../../storage/location/storage-settings.js";
import { endpointProblem } from "../../storage/location/storage-url.js";
import { OBJECT_LOCK_MODES, S3_CHECKSUM_MODES, S3_SSE_MODES } from "../../storage/s3/s3-options.js";

/** Backend flags as commander parses them (every one also reads an environment variable). */
export interface StorageFlags {
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: string;
  s3Checksum?: string;
  s3StorageClass?: string;
  s3Sse?: string;
  s3SseKmsKeyId?: string;
  s3ConditionalCreate?: string;
  s3ObjectLockMode?: string;
  azureTier?: string;
  azureImmutabilityMode?: string;
  retainFor?: string;
  uploadConcurrency?: string;
  limitUpload?: string;
  storageTimeout?: string;
}

/** Adds the backend flags to a command that opens a repository. */
export function addStorageFlags(cmd: Command): Command {
  const opt = (flags: string, help: string, env: string) => cmd.addOption(new Option(flags, help).env(env));
  opt(
    "--s3-endpoint <url>",
    "S3-compatible endpoint (MinIO, R2, Wasabi, Ceph); default AWS_ENDPOINT_URL or AWS",
    "CAIRN_S3_ENDPOINT",
  );
  opt(
    "--s3-region <region>",
    "S3 region (default AWS_REGION, the profile, or us-east-1 with an endpoint)",
    "CAIRN_S3_REGION",
  );
  opt("--s3-path-style <yes|no>", "path-style addressing (default yes with --s3-endpoint)", "CAIRN_S3_PATH_STYLE");
  opt(
    "--s3-checksum <md5|sdk|off>",
    "PUT checksum: Content-MD5 (default), the SDK's CRC32, or none",
    "CAIRN_S3_CHECKSUM",
  );
  opt(
    "--s3-storage-class <class>",
    "storage class for data packs, e.g. STANDARD_IA, GLACIER_IR",
    "CAIRN_S3_STORAGE_CLASS",
  );
  opt("--s3-sse <AES256|aws:kms|aws:kms:dsse>", "server-side encryption header on every write", "CAIRN_S3_SSE");
  opt("--s3-sse-kms-key-id <id>", "KMS key for --s3-sse aws:kms", "CAIRN_S3_SSE_KMS_KEY_ID");
  opt(
    "--s3-conditional-create <yes|no>",
    "the store enforces If-None-Match (default yes on AWS, no with --s3-endpoint)",
    "CAIRN_S3_CONDITIONAL_CREATE",
  );
  opt(
    "--s3-object-lock-mode <GOVERNANCE|COMPLIANCE>",
    "Object Lock mode for --retain-for (default GOVERNANCE)",
    "CAIRN_S3_OBJECT_LOCK_MODE",
  );
  opt("--azure-tier <Hot|Cool|Cold>", "access tier for data packs", "CAIRN_AZURE_TIER");
  opt(
    "--azure-immutability-mode <Unlocked|Locked>",
    "immutability policy mode for --retain-for (default Unlocked)",
    "CAIRN_AZURE_IMMUTABILITY_MODE",
  );
  opt(
    "--retain-for <duration>",
    "lock every object written for this long (S3 Object Lock / Azure immutability), e.g. 30d, 12h, 1y",
    "CAIRN_RETAIN_FOR",
  );
  opt("--upload-concurrency <n>", "writes in flight at once (default 4)", "CAIRN_UPLOAD_CONCURRENCY");
  opt(
    "--storage-timeout <duration>",
    "a cloud request that gets no answer for this long fails and is retried (default 30s; docs/STORAGE.md §Timeouts)",
    "CAIRN_STORAGE_TIMEOUT",
  );
  opt("--limit-upload <MiB/s>", "upload bandwidth limit in MiB/s", "CAIRN_LIMIT_UPLOAD");
  return cmd;
}

/** Turns the parsed flags into the typed storage settings, rejecting bad values with what to write instead. */
export function storageSettingsFromFlags(f: StorageFlags): StorageSettings {
  return {
    s3: {
      endpoint: endpoint(f.s3Endpoint),
      region: f.s3Region,
      pathStyle: yesNo(f.s3PathStyle, "--s3-path-style"),
      checksum: oneOf(f.s3Checksum, S3_CHECKSUM_MODES, "--s3-checksum"),
      storageClass: f.s3StorageClass,
      sse: oneOf(f.s3Sse, S3_SSE_MODES, "--s3-sse"),
      sseKmsKeyId: f.s3SseKmsKeyId,
      conditionalCreate: yesNo(f.s3ConditionalCreate, "--s3-conditional-create"),
      objectLockMode: oneOf(f.s3ObjectLockMode, OBJECT_LOCK_MODES, "--s3-object-lock-mode"),
    },
    azure: {
      tier: oneOf(f.azureTier, AZURE_TIERS, "--azure-tier"),
      immutabilityMode: oneOf(f.azureImmutabilityMode, AZURE_IMMUTABILITY_MODES, "--azure-immutability-mode"),
    },
    retainForMs: f.retainFor === undefined ? undefined : parseRetainFor(f.retainFor),
    uploadConcurrency: positive(f.uploadConcurrency, "--upload-concurrency", true),
    uploadBytesPerSecond: mibPerSecond(f.limitUpload),
    timeoutMs: f.storageTimeout === undefined ? undefined : storageTimeout(f.storageTimeout),
  };
}

function storageTimeout(v: string): number {
  const ms = parseExactDuration(v, "--storage-timeout");
  if (!(ms >= 1 && ms <= TIMER.ms))
    throw new UsageError(`--storage-timeout ${JSON.stringify(v)}: expected from 1ms to ${TIMER.shown}`, {
      hint: "e.g. --storage-timeout 2m for a store that is slow to answer",
    });
  return ms;
}

function endpoint(v: string | undefined): string | undefined {
  const problem = v === undefined ? undefined : endpointProblem(v);
  if (problem) throw new UsageError(`--s3-endpoint ${problem}`);
  return v;
}

function yesNo(v: string | undefined, flag: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(yes|true|on|1)$/i.test(v)) return true;
  if (/^(no|false|off|0)$/i.test(v)) return false;
  throw new UsageError(`${flag} ${JSON.stringify(v)}: expected yes or no`);
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (!hit) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected one of ${allowed.join(", ")}`);
  return hit;
}

function positive(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a positive ${integer ? "integer" : "number"}`);
  return n;
}

function mibPerSecond(v: string | undefined): number | undefined {
  const n = positive(v, "--limit-upload", false);
  return n === undefined ? undefined : Math.round(n * 1024 * 1024);
}
