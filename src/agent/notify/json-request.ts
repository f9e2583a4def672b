import type { HttpRequest, Notification, Rendered } from "./notification.js";

/**
 * The generic JSON body cairn has always POSTed (`{"job","result",
 * "duration_s","snapshots","error"}`, `{"job","event":"start"}`, ...), plus
 * `message`: for Uptime Kuma, n8n, a home-grown receiver.
 */
export function jsonRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  return {
    url: url.href,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...n.body, message: text.message }),
  };
}
