/**
 * POST metrics (Prometheus text format) to a Pushgateway group. POST replaces
 * only the metric names pushed, so a failed run, which pushes no
 * `cairn_job_last_success_timestamp_seconds`, leaves the last success of the
 * previous run in the group; every run of a job pushes to the same group
 * (`grouping`), so it replaces the previous run's values instead of adding a
 * group per pod. Credentials in the URL (`https://user:pass@host`) are sent as
 * basic auth; they never appear in an error message.
 */
export async function pushToGateway(
  gateway: string,
  text: string,
  grouping: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const url = new URL(gateway);
  const headers: Record<string, string> = { "content-type": "text/plain; version=0.0.4; charset=utf-8" };
  if (url.username || url.password) {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(user).toString("base64")}`;
    url.username = url.password = "";
  }
  const where = `${url.protocol}//${url.host}`;
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/metrics${groupingPath(grouping)}`;
  const res = await fetch(url, { method: "POST", body: text, headers, signal: AbortSignal.timeout(timeoutMs) }).catch(
    (e: Error) => {
      throw new Error(`cannot push metrics to the Pushgateway at ${where}: ${e.message}`);
    },
  );
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).trim().slice(0, 300);
    throw new Error(`the Pushgateway at ${where} refused the metrics: HTTP ${res.status} ${body}`);
  }
}

/** `/job/cairn/job_name/app`; a value with a `/` (or empty) goes base64url-encoded, as the Pushgateway's API asks. */
function groupingPath(grouping: Record<string, string>): string {
  return Object.entries(grouping)
    .map(([k, v]) =>
      v === "" || v.includes("/")
        ? `/${k}@base64/${Buffer.from(v).toString("base64url") || "="}`
        : `/${k}/${encodeURIComponent(v)}`,
    )
    .join("");
}
