import type { NotifyEvent, TEMPLATE_PLACEHOLDERS } from "../../config/notify-schema.js";

export type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** One thing to tell the targets that hear its event, in every format's terms. */
export interface Notification {
  job: string;
  event: NotifyEvent;
  /** The generic JSON body (format `json`): the shape cairn has always POSTed, kept for existing receivers. */
  body: Record<string, unknown>;
  /** The template's values, already as text (a duration as "1 min 05 s", sizes as "1.2 GiB"). */
  vars: Partial<Record<Placeholder, string>>;
  /** Pairs a run's start and end pings (healthchecks.io's `rid`); a UUID. */
  runId?: string;
  /** ISO-8601: when it happened. */
  time: string;
}

/** What a format asks to be sent: always a POST. */
export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The rendered words: a short title (ASCII: ntfy sends it as a header) and the message. */
export interface Rendered {
  title: string;
  message: string;
}

const VERB: Record<NotifyEvent, string> = {
  start: "started",
  success: "succeeded",
  partial: "finished with unreadable files",
  failure: "failed",
  stale: "has a stale snapshot",
  interrupted: "was interrupted",
};

/** "cairn: app-data failed". Job names are letters, digits, '.', '_' and '-' (the config's Name). */
export function titleOf(n: Notification): string {
  return `cairn: ${n.job} ${VERB[n.event]}`;
}

/** How bad it is, which every format shows its own way (colour, priority, emoji tag). */
export function severityOf(event: NotifyEvent): "info" | "good" | "warning" | "bad" {
  if (event === "start") return "info";
  if (event === "success") return "good";
  if (event === "partial" || event === "stale") return "warning";
  return "bad";
}

/** Label and value of each fact that is set, for formats that show a table (Discord fields, a Teams FactSet). */
export function factsOf(n: Notification): [string, string][] {
  const v = n.vars;
  const facts: [string, string | undefined][] = [
    ["Job", v.job],
    ["Result", v.result],
    ["Duration", v.duration],
    ["Snapshots", v.snapshots],
    ["Repository", v.repository],
    ["Age", v.age],
    ["Host", v.host],
  ];
  return facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== "");
}

/** `s` cut to `max` characters with an ellipsis: each service refuses or truncates past its own limit. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
