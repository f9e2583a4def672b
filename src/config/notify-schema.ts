import { z } from "zod";

/**
 * A job's `notify:` targets (docs/CONFIG.md §Notifications). Each `on_*` key
 * takes a URL (POSTed in `notify.format`, by default the generic JSON every
 * release so far sent) or `{ url, format, template }`; `healthchecks` is one
 * healthchecks.io check that gets start, success and failure pings.
 */

/** How a notification is shaped on the wire; each has its own file in src/agent/notify/. */
export const NOTIFY_FORMATS = ["json", "slack", "discord", "teams", "ntfy", "gotify", "healthchecks"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** What a notification reports: a run's start or end, a stale newest snapshot, a run a killed process left behind. */
export type NotifyEvent = "start" | "success" | "partial" | "failure" | "stale" | "interrupted";

/** What `{name}` may say in a `template`; an event that has no value for one renders it empty. */
export const TEMPLATE_PLACEHOLDERS = [
  "job",
  "event",
  "result",
  "duration",
  "error",
  "snapshots",
  "host",
  "files",
  "bytes_added",
  "unreadable",
  "repository",
  "age",
  "max_age",
  "started_at",
] as const;

/** A placeholder: `{` word `}`; any other brace is text (so a JSON-looking template needs no escaping). */
export const PLACEHOLDER = /\{([a-z_]+)\}/g;

export const HttpUrl = z.string().regex(/^https?:\/\/\S+$/, "expected an http:// or https:// URL");
const Format = z.enum(NOTIFY_FORMATS);
const Template = z
  .string()
  .min(1, "expected a message template such as '{job}: {result} in {duration}'")
  .superRefine((t, ctx) => {
    const known: readonly string[] = TEMPLATE_PLACEHOLDERS;
    for (const [, name] of t.matchAll(PLACEHOLDER))
      if (!known.includes(name))
        ctx.addIssue({
          code: "custom",
          message: `unknown placeholder {${name}}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
        });
  });

export interface TargetConfig {
  url: string;
  format?: NotifyFormat;
  template?: string;
}

const TargetObject = z.strictObject({ url: HttpUrl, format: Format.optional(), template: Template.optional() });

/**
 * A URL, or `{ url, format, template }`. Parsed by hand rather than as a zod
 * union, so a problem is reported at its key (`on_failure.format: Invalid
 * option ...`) instead of as an "Invalid input" of the union.
 */
const Target = z.unknown().transform((v, ctx): TargetConfig => {
  const schema = typeof v === "string" ? HttpUrl.transform((url) => ({ url })) : TargetObject;
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  if (typeof v !== "string" && (typeof v !== "object" || v === null))
    ctx.issues.push({ code: "custom", message: "expected a URL or { url, format, template }", input: v });
  else for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: v } as (typeof ctx.issues)[number]);
  return z.NEVER;
});

/** `notify:` without `timeout` (src/config/config-schema.ts adds it with the other durations). */
export const NotifyTargetsSchema = z.strictObject({
  on_start: Target.optional(),
  on_success: Target.optional(),
  on_failure: Target.optional(),
  /** The newest snapshot is older than the job's max_age (default: on_failure). */
  on_stale: Target.optional(),
  /** A healthchecks.io check (or a self-hosted Healthchecks): /start, success and /fail pings. */
  healthchecks: HttpUrl.optional(),
  format: Format.default("json"),
  template: Template.optional(),
});

export type NotifyTargetsConfig = z.infer<typeof NotifyTargetsSchema>;

/** One place notifications go: its URL and format, and the events it hears. */
export interface NotifyTarget {
  url: string;
  format: NotifyFormat;
  template?: string;
  events: readonly NotifyEvent[];
  /** The config key it came from, for log lines (`notify.on_failure`). */
  key: string;
}

/** The targets of a job's `notify:` section, each with the events its key stands for. */
export function notifyTargets(n: NotifyTargetsConfig | undefined): NotifyTarget[] {
  if (!n) return [];
  const out: NotifyTarget[] = [];
  const add = (key: string, t: TargetConfig | undefined, events: NotifyEvent[]) => {
    if (t)
      out.push({
        url: t.url,
        format: t.format ?? n.format,
        template: t.template ?? n.template,
        events,
        key: `notify.${key}`,
      });
  };
  add("on_start", n.on_start, ["start"]);
  add("on_success", n.on_success, ["success", "partial"]);
  add("on_failure", n.on_failure, n.on_stale ? ["failure", "interrupted"] : ["failure", "interrupted", "stale"]);
  add("on_stale", n.on_stale, ["stale"]);
  // A stale snapshot is not sent to healthchecks.io: it watches the runs' own pings and their schedule.
  if (n.healthchecks)
    out.push({
      url: n.healthchecks,
      format: "healthchecks",
      template: n.template,
      events: ["start", "success", "partial", "failure", "interrupted"],
      key: "notify.healthchecks",
    });
  return out;
}
