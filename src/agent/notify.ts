import type { Logger } from "./logger.js";
import { redactUrl } from "./logger.js";

/**
 * POST a short JSON body to a notification URL (healthchecks.io, Uptime Kuma,
 * a webhook). A ping that fails or times out is logged and never fails the
 * job: monitoring must not be the reason a backup is reported as failed.
 */
export async function ping(
  url: string,
  body: Record<string, unknown>,
  o: { timeoutMs: number; log: Logger },
): Promise<boolean> {
  const target = redactUrl(url);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) {
      o.log.warn({ notify: target, status: res.status }, `notification to ${target} answered HTTP ${res.status}`);
      return false;
    }
    return true;
  } catch (e) {
    o.log.warn({ notify: target, error: (e as Error).message }, `notification to ${target} failed`);
    return false;
  }
}
