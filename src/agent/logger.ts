import { pino, stdTimeFunctions, type Logger } from "pino";
import { CairnError } from "../core/errors.js";
import { processSecrets, type SecretMask } from "../exec/secret-mask.js";

export type { Logger };

/**
 * JSON lines on stdout, in the shape log collectors (Loki, Elasticsearch,
 * CloudWatch) read without a pipeline: `level` as a word ("info"), `time` as
 * ISO-8601 in UTC, errors as an `err` object (docs/CONFIG.md §Logs lists the
 * fields). Secrets should never reach the logger (URLs go through redactUrl,
 * keys are never passed, child output is masked where it is read); the
 * redact list and the mask of every known secret value applied to each
 * written line (exec/secret-mask.ts) are the second line of defence.
 */
export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stdout,
  secrets: SecretMask = processSecrets,
): Logger {
  // A stack is for whoever debugs cairn itself; at info it would bury the message an operator needs.
  const withStack = level === "debug" || level === "trace";
  return pino(
    {
      level,
      base: { name: "cairn" },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: (e: unknown) => errorFields(e, withStack) },
      redact: { paths: ["agent_key", "*.agent_key", "env", "*.env", "password", "*.password"], censor: "[redacted]" },
    },
    // Every line, whatever field carries it (a tool's stderr in a message, an error quoting it): masked whole.
    { write: (line: string) => destination.write(secrets.mask(line)) },
  );
}

/**
 * The `err` object of a log line: type and message; a CairnError's stable
 * code and hint, a system error's errno code; the cause's message (fetch says
 * only "fetch failed", its cause says ECONNREFUSED); the stack when asked.
 */
export function errorFields(e: unknown, withStack = false): Record<string, unknown> {
  if (!(e instanceof Error)) return { type: typeof e, message: String(e) };
  const out: Record<string, unknown> = { type: e.name || e.constructor.name, message: e.message };
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (e instanceof CairnError && e.hint) out.hint = e.hint;
  if (e.cause instanceof Error && e.cause.message !== e.message) out.cause = e.cause.message;
  if (withStack && e.stack) out.stack = e.stack;
  return out;
}

/**
 * A URL safe to log: scheme and host only for http(s) (webhook and ping URLs
 * carry their secret in the path: a healthchecks.io UUID, an ntfy topic, a
 * Slack or Discord token), scheme, bucket and prefix for s3/azure; never
 * credentials or the query (SAS signatures, tokens).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!/^(https?|s3|azure):$/.test(u.protocol)) return url.split("?")[0];
    const segs = u.pathname.split("/").filter(Boolean);
    if (u.protocol.startsWith("http")) return `${u.protocol}//${u.host}${segs.length ? "/…" : ""}`;
    return `${u.protocol}//${u.host}${segs.length ? `/${segs.join("/")}` : ""}`;
  } catch {
    return url.split("?")[0];
  }
}
