import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { parseCalendarSpan } from "./duration.js";
import { parseGroupBy, type GroupBy } from "./group-snapshots.js";
import { isEmptyPolicy, validatePolicy, type RetentionPolicy } from "./policy.js";

/**
 * The `retention:` block of a job in the YAML config (config/cairn.example.yaml),
 * with the same words as the `forget` flags: `keep-daily: 7`, `keep-within: 2d`,
 * `keep-tag: [release]`, `group-by: host,paths`. The agent reads it
 * with this function and calls forgetSnapshots after each successful backup.
 */
const Count = z.number().int().min(-1);
const Span = z.string();
const RetentionSchema = z.strictObject({
  "keep-last": Count.optional(),
  "keep-hourly": Count.optional(),
  "keep-daily": Count.optional(),
  "keep-weekly": Count.optional(),
  "keep-monthly": Count.optional(),
  "keep-yearly": Count.optional(),
  "keep-within": Span.optional(),
  "keep-within-hourly": Span.optional(),
  "keep-within-daily": Span.optional(),
  "keep-within-weekly": Span.optional(),
  "keep-within-monthly": Span.optional(),
  "keep-within-yearly": Span.optional(),
  "keep-tag": z.array(z.string()).optional(),
  "group-by": z.string().optional(),
});

export interface RetentionConfig {
  policy: RetentionPolicy;
  groupBy: GroupBy;
}

/** Validate a `retention:` block; errors name the config path (e.g. `jobs.db.retention.keep-daily`). */
export function retentionFromConfig(value: unknown, path: string): RetentionConfig {
  const r = RetentionSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(`${path}.${issue.path.join(".")}: ${issue.message}`, {
      path: `${path}.${issue.path.join(".")}`,
    });
  }
  const c = r.data;
  const span = (k: keyof typeof c) =>
    c[k] === undefined ? undefined : parseCalendarSpan(String(c[k]), `${path}.${k}`);
  const policy: RetentionPolicy = {
    last: c["keep-last"],
    hourly: c["keep-hourly"],
    daily: c["keep-daily"],
    weekly: c["keep-weekly"],
    monthly: c["keep-monthly"],
    yearly: c["keep-yearly"],
    within: span("keep-within"),
    withinHourly: span("keep-within-hourly"),
    withinDaily: span("keep-within-daily"),
    withinWeekly: span("keep-within-weekly"),
    withinMonthly: span("keep-within-monthly"),
    withinYearly: span("keep-within-yearly"),
    tags: (c["keep-tag"] ?? []).map((t) => t.split(",").map((s) => s.trim())),
  };
  validatePolicy(policy);
  if (isEmptyPolicy(policy))
    throw new ConfigError(`${path}: no keep-* option; a retention block must keep something`, { path });
  return { policy, groupBy: parseGroupBy(c["group-by"] ?? "host,paths") };
}
