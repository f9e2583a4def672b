import type { NotifyTarget } from "../config/notify-schema.js";
import type { Logger } from "./logger.js";
import { redactUrl } from "./logger.js";
import { formatRequest } from "./notify/format-request.js";
import type { Notification } from "./notify/notification.js";

export type { Notification } from "./notify/notification.js";

/**
 * Tell every target that hears `n.event`, in its format, one after another.
 * A notification that fails or times out is logged and never fails the job:
 * monitoring must not be the reason a backup is reported as failed. Resolves
 * to how many targets accepted it.
 */
export async function notify(
  targets: readonly NotifyTarget[],
  n: Notification,
  o: { timeoutMs: number; log: Logger },
): Promise<number> {
  let delivered = 0;
  for (const t of targets) if (t.events.includes(n.event) && (await send(t, n, o))) delivered++;
  return delivered;
}

async function send(t: NotifyTarget, n: Notification, o: { timeoutMs: number; log: Logger }): Promise<boolean> {
  // Only the host is logged: the path and query are where webhook tokens, topics and check UUIDs live.
  const target = redactUrl(t.url);
  const fields = { event: "notify_failed", notify: target, target: t.key, format: t.format, notify_event: n.event };
  try {
    const req = formatRequest(t, n);
    const res = await fetch(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) {
      o.log.warn({ ...fields, status: res.status }, `notification to ${target} answered HTTP ${res.status}`);
      return false;
    }
    return true;
  } catch (e) {
    o.log.warn({ ...fields, err: withoutUrl(e, t.url) }, `notification to ${target} failed`);
    return false;
  }
}

/** fetch's own messages can quote the URL ("Failed to parse URL from ..."): swap it for the redacted one. */
function withoutUrl(e: unknown, url: string): unknown {
  if (!(e instanceof Error) || !e.message.includes(url)) return e;
  const safe = new Error(e.message.replaceAll(url, redactUrl(url)), { cause: e.cause });
  safe.name = e.name;
  return safe;
}
