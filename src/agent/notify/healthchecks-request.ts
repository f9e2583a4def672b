import type { NotifyEvent } from "../../config/notify-schema.js";
import type { HttpRequest, Notification, Rendered } from "./notification.js";

/** The ping endpoint of each event: healthchecks.io's Pinging API (success is the bare URL). */
const SUFFIX: Record<NotifyEvent, string> = {
  start: "/start",
  success: "",
  partial: "",
  failure: "/fail",
  stale: "/fail",
  interrupted: "/fail",
};

/** A suffix the user may have written already (`.../fail`, `.../start`, an exit status): replaced, not doubled. */
const GIVEN_SUFFIX = /\/(start|fail|log|\d{1,3})\/?$/;

/**
 * A healthchecks.io check (https://hc-ping.com/UUID, https://hc-ping.com/KEY/SLUG,
 * or a self-hosted Healthchecks): /start when a run starts, the bare URL on
 * success, /fail on failure, so it measures each run's duration and alerts
 * on a failure or a missing ping. The message goes in the body, which
 * Healthchecks keeps with the ping (up to 100 kB); `rid` (the run's UUID)
 * pairs a run's start with its end.
 */
export function healthchecksRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  const u = new URL(url.href);
  u.pathname = u.pathname.replace(GIVEN_SUFFIX, "").replace(/\/+$/, "") + SUFFIX[n.event];
  if (n.runId) u.searchParams.set("rid", n.runId);
  return { url: u.href, headers: { "content-type": "text/plain; charset=utf-8" }, body: text.message };
}
