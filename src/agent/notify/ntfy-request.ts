import type { NotifyEvent } from "../../config/notify-schema.js";
import { clip, type HttpRequest, type Notification, type Rendered } from "./notification.js";

/** ntfy's priorities: 2 low (no sound), 3 default, 4 high (a longer vibration). */
const PRIORITY: Record<NotifyEvent, string> = {
  start: "2",
  success: "3",
  partial: "3",
  failure: "4",
  stale: "4",
  interrupted: "4",
};
/** Tags that ntfy shows as emoji before the title. */
const TAGS: Record<NotifyEvent, string> = {
  start: "arrow_forward",
  success: "white_check_mark",
  partial: "warning",
  failure: "rotating_light",
  stale: "hourglass",
  interrupted: "skull",
};

/**
 * An ntfy topic (https://ntfy.sh/TOPIC or a self-hosted server): the message
 * as the plain-text body, title, priority and tags as headers (ntfy's
 * "Publishing" guide). A topic is its own password on a public server, so the
 * URL is never logged. Bodies past 4096 bytes would become an attachment.
 */
export function ntfyRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  return {
    url: url.href,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      // A header carries Latin-1 only; the title is cairn's words and a job name (letters, digits, . _ -).
      Title: text.title,
      Priority: PRIORITY[n.event],
      Tags: `${TAGS[n.event]},cairn`,
    },
    body: clip(text.message, 4000),
  };
}
