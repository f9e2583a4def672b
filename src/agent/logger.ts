import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines on stdout. Secrets never reach the logger in the first place
 * (URLs go through redactUrl, keys are never passed); the redact list is a
 * second line of defence for fields that might carry one by mistake.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { name: "cairn" },
      redact: { paths: ["agent_key", "*.agent_key", "env", "*.env", "password", "*.password"], censor: "[redacted]" },
    },
    destination,
  );
}

/**
 * A URL safe to log: scheme, host and the first path segment; credentials,
 * query and the rest of the path (where ping tokens and SAS signatures live)
 * are dropped.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!/^(https?|s3|azure):$/.test(u.protocol)) return url.split("?")[0];
    const segs = u.pathname.split("/").filter(Boolean);
    const keep = u.protocol.startsWith("http") ? segs.slice(0, 1) : segs;
    return `${u.protocol}//${u.host}${keep.length ? `/${keep.join("/")}` : ""}${u.protocol.startsWith("http") && segs.length > 1 ? "/…" : ""}`;
  } catch {
    return url.split("?")[0];
  }
}
