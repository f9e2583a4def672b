import type { NotifyEvent } from "../../config/notify-schema.js";
import type { HttpRequest, Notification, Rendered } from "./notification.js";

/** Gotify's priorities: its Android app is silent below 4 and rings from 8. */
const PRIORITY: Record<NotifyEvent, number> = {
  start: 1,
  success: 2,
  partial: 5,
  failure: 8,
  stale: 8,
  interrupted: 8,
};

/**
 * A Gotify server: POST /message with `{title, message, priority}` and the
 * application token. The URL may be the server's (`https://gotify.example`)
 * or its /message endpoint, with the token as `?token=`; the token is moved
 * into the X-Gotify-Key header, so it is not in the request line that
 * proxies log.
 */
export function gotifyRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  const u = new URL(url.href);
  const token = u.searchParams.get("token");
  u.searchParams.delete("token");
  if (!u.pathname.endsWith("/message")) u.pathname = `${u.pathname.replace(/\/+$/, "")}/message`;
  return {
    url: u.href,
    headers: { "content-type": "application/json", ...(token ? { "X-Gotify-Key": token } : {}) },
    body: JSON.stringify({
      title: text.title,
      message: text.message,
      priority: PRIORITY[n.event],
      extras: { "client::display": { contentType: "text/plain" } },
    }),
  };
}
