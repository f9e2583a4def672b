import cron from "node-cron";
import { z } from "zod";
import { AZURE_IMMUTABILITY_MODES, AZURE_TIERS } from "../storage/azure/azure-options.js";
import { OBJECT_LOCK_MODES, S3_CHECKSUM_MODES, S3_SSE_MODES } from "../storage/s3/s3-options.js";
import { HttpUrl, NotifyTargetsSchema } from "./notify-schema.js";
import { UsageError } from "../core/errors.js";
import { endpointProblem, parseStorageUrl } from "../storage/location/storage-url.js";
import { SourceSchema } from "./source-schema.js";

/**
 * The agent's YAML config (docs/CONFIG.md documents every key). Every object
 * is strict: a misspelt key is an error, because a typo that silently drops
 * `exclude` or `retention` is worse than a failed start.
 */

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/;
const Duration = z.string().regex(DURATION, "expected a duration such as 30s, 5m, 1h30m");
/** A repository's or a job's name. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const NAME_RULE = "expected a name of letters, digits, '.', '_' or '-'";
const Name = z.string().regex(NAME, NAME_RULE);

/** 1-65535 (a port the regex let through as up to five digits). */
function validPort(text: string): boolean {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Why openStorage would refuse this location, or undefined. */
function storageUrlProblem(url: string): string | undefined {
  try {
    parseStorageUrl(url);
    return undefined;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.hint ? `${e.message}; ${e.hint}` : e.message;
  }
}

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const Timezone = z.string().refine(isValidTimezone, "expected an IANA time zone such as Europe/Berlin or UTC");
const Schedule = z.string().superRefine((s, ctx) => {
  const v = cron.validateDetailed(s);
  if (!v.valid)
    ctx.addIssue({
      code: "custom",
      message: `expected a cron expression (5 fields, or 6 with seconds first): ${v.errors.map((e) => e.message).join("; ") || "cannot parse"}`,
    });
});

const S3Schema = z.strictObject({
  endpoint: z
    .string()
    .superRefine((url, ctx) => {
      const problem = endpointProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  region: z.string().optional(),
  path_style: z.boolean().optional(),
  checksum: z.enum(S3_CHECKSUM_MODES).optional(),
  storage_class: z.string().optional(),
  sse: z.enum(S3_SSE_MODES).optional(),
  sse_kms_key_id: z.string().optional(),
  conditional_create: z.boolean().optional(),
  object_lock_mode: z.enum(OBJECT_LOCK_MODES).optional(),
});

const AzureSchema = z.strictObject({
  tier: z.enum(AZURE_TIERS).optional(),
  immutability_mode: z.enum(AZURE_IMMUTABILITY_MODES).optional(),
});

export const RepositorySchema = z.strictObject({
  // Parsed as openStorage parses it (storage/location/storage-url.ts), so what passes here opens later.
  url: z
    .string()
    .min(1, "expected a repository URL")
    .superRefine((url, ctx) => {
      const problem = storageUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  agent_key_file: z.string().optional(),
  /** The key text itself (usually `${VAR}`); a secret, never logged. */
  agent_key: z.string().optional(),
  identity_file: z.string().optional(),
  s3: S3Schema.optional(),
  azure: AzureSchema.optional(),
  retain_for: z
    .string()
    .regex(/^\d+[hdy]$/, "expected a duration with h, d or y, e.g. 30d")
    .optional(),
  upload_concurrency: z.number().int().positive().optional(),
  limit_upload_mib: z.number().positive().optional(),
  /** A cloud request with no answer for this long fails and is retried (docs/STORAGE.md §Timeouts). */
  timeout: Duration.optional(),
});

const HooksSchema = z.strictObject({
  before: z.string().optional(),
  after: z.string().optional(),
  on_failure: z.string().optional(),
  timeout: Duration.default("5m"),
  /** Extra environment for the hook commands; values may be secrets, never logged. */
  env: z.record(z.string(), z.string()).default({}),
});

const NotifySchema = NotifyTargetsSchema.extend({ timeout: Duration.default("10s") });

const RetrySchema = z.strictObject({
  attempts: z.number().int().min(0).max(20).default(2),
  backoff: Duration.default("30s"),
});

const SyncSchema = z.strictObject({ from: Name, to: Name, concurrency: z.number().int().positive().optional() });

/** A restore drill of another job's latest snapshot (docs/CONFIG.md §Restore drills). */
const DrillSchema = z.strictObject({
  job: Name,
  /** Which of that job's repositories to restore from (default: its first). */
  repository: Name.optional(),
  /** Restore only this many files, picked at random (files-like jobs); default: every file. */
  sample: z.number().int().positive().optional(),
  /** Database jobs (postgres/mysql logical): run in the scratch database after the replay. */
  query: z.string().min(1).optional(),
  /** The query's output (trimmed) must equal this. */
  expect: z.union([z.string(), z.number()]).transform(String).optional(),
  /** Where the drill's temporary directory goes (default: the system's temp directory). */
  scratch_dir: z.string().min(1).optional(),
});

export const JobSchema = z.strictObject({
  source: SourceSchema.optional(),
  sync: SyncSchema.optional(),
  drill: DrillSchema.optional(),
  schedule: Schedule.optional(),
  timezone: Timezone.optional(),
  repositories: z.array(Name).min(1, "list at least one repository").optional(),
  /** The `retention:` block in restic's words, checked by retentionFromConfig (src/retention/policy-config.ts). */
  retention: z.record(z.string(), z.unknown()).optional(),
  hooks: HooksSchema.optional(),
  notify: NotifySchema.optional(),
  run_on_start: z.boolean().default(false),
  jitter: Duration.optional(),
  retry: RetrySchema.default({ attempts: 2, backoff: "30s" }),
  host: z.string().optional(),
  tags: z.array(z.string()).default([]),
  /** Alert (notify.on_stale, else on_failure) when the job's newest snapshot in a repository is older than this. */
  max_age: Duration.optional(),
});

const PruneSchema = z.strictObject({
  schedule: Schedule,
  timezone: Timezone.optional(),
  repositories: z.array(Name).min(1).optional(),
  // Checked by config/units.ts when the config is resolved, as `cairn prune` checks its flags.
  max_unused: z.string().default("5%"),
  max_repack_size: z.string().optional(),
  grace: Duration.default("24h"),
});

/** Free of Prometheus's own ports and of the exporters' range (docs/CONFIG.md §Metrics says why this one). */
export const DEFAULT_LISTEN = "0.0.0.0:22476";

export const AgentSchema = z.strictObject({
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, "expected host:port, e.g. 0.0.0.0:22476")
    .refine((l) => validPort(l.slice(l.lastIndexOf(":") + 1)), "expected a port from 1 to 65535, e.g. 0.0.0.0:22476")
    .default(DEFAULT_LISTEN),
  cache_dir: z.string().optional(),
  /** Host recorded in every job's snapshots unless the job sets its own (src/agent/job-host.ts). */
  host: z.string().min(1).optional(),
  timezone: Timezone.optional(),
  grace_period: Duration.default("8s"),
  log_level: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  prune: PruneSchema.optional(),
  /** `cairn run` and `cairn drill`: where their run's metrics go (no agent is there to be scraped). */
  metrics_textfile: z
    .string()
    .regex(/\.prom$/, "expected a file name ending in .prom (node_exporter's textfile collector reads only those)")
    .optional(),
  pushgateway: HttpUrl.optional(),
});

/**
 * The whole file's shape. The loader parses it one section at a time
 * (src/config/parse-sections.ts) with the same schemas, so that one broken
 * section does not hide the problems of the others.
 */
export const ConfigSchema = z.strictObject({
  repositories: z.record(Name, RepositorySchema),
  jobs: z.record(Name, JobSchema),
  agent: AgentSchema.default({ listen: DEFAULT_LISTEN, grace_period: "8s", log_level: "info" }),
});

export type RawConfig = z.infer<typeof ConfigSchema>;
export type RepositoryConfig = z.infer<typeof RepositorySchema>;
export type JobConfig = z.infer<typeof JobSchema>;
export type DrillConfig = z.infer<typeof DrillSchema>;
export type PruneConfig = z.infer<typeof PruneSchema>;
export type AgentSettings = z.infer<typeof AgentSchema>;
