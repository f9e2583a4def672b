import { PLACEHOLDER, type NotifyEvent } from "../../config/notify-schema.js";
import type { Notification, Placeholder } from "./notification.js";

/** The message of `n`: `template` with each `{placeholder}` replaced (unknown values are empty), else the event's default. */
export function renderMessage(n: Notification, template?: string): string {
  if (template === undefined) return defaultMessage(n);
  return template.replace(PLACEHOLDER, (_, name: string) => n.vars[name as Placeholder] ?? "").trim();
}

/** The message when the target has no `template`: one line a person reads on a phone; parts without a value are left out. */
function defaultMessage(n: Notification): string {
  const v = n.vars;
  const part = (value: string | undefined, text: string) => (value ? text : "");
  const snaps = part(v.snapshots, `; snapshots ${v.snapshots}`);
  const messages: Record<NotifyEvent, string> = {
    start: `${v.job} started${part(v.host, ` on ${v.host}`)}`,
    success: `${v.job} succeeded in ${v.duration}${snaps}`,
    partial: `${v.job} finished in ${v.duration}, but ${v.unreadable} file(s) could not be read${snaps}`,
    failure: `${v.job} failed after ${v.duration}: ${v.error}`,
    stale: v.age
      ? `${v.job}: the newest snapshot in ${v.repository} is ${v.age} old (max_age ${v.max_age})`
      : `${v.job} has no snapshot in ${v.repository} (max_age ${v.max_age})`,
    interrupted: `${v.job}: the run started at ${v.started_at} never finished; its process was killed (out of memory, SIGKILL, power loss) or stopped past the grace period`,
  };
  return messages[n.event];
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 07 min", "3 d 04 h". */
export function humanDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")} h`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** "512 B", "1.5 KiB", "3.2 GiB". */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
