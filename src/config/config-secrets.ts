import type { RawConfig } from "./config-schema.js";
import { notifyTargets } from "./notify-schema.js";

// Keys whose values are secrets (docs/CONFIG.md §Validation, Secrets). A `${VAR}` taken from the
// environment into one of them is a secret as a whole, also where it is only a part of the value (a URL's token).
const SECRET_KEYS = [
  /^repositories\.[^.]+\.agent_key$/,
  /^jobs\.[^.]+\.hooks\.env\./,
  /^jobs\.[^.]+\.source\.(password|env\.)/,
  /^jobs\.[^.]+\.notify\./,
  /^agent\.pushgateway$/,
];

/** Whether the key at a dotted config path holds a secret. */
export function isSecretKey(path: string): boolean {
  return SECRET_KEYS.some((re) => re.test(path));
}

/**
 * Every secret value of a config, for the mask applied to child output and
 * log lines (exec/secret-mask.ts): agent keys, hook environments, a source's
 * password and environment, the tokens of notification and Pushgateway URLs,
 * and `fromEnv`, the `${VAR}` values substituted into those keys.
 */
export function configSecrets(c: RawConfig, fromEnv: Iterable<string> = []): string[] {
  const out = new Set<string>(fromEnv);
  for (const r of Object.values(c.repositories)) if (r.agent_key) out.add(r.agent_key);
  for (const j of Object.values(c.jobs)) {
    for (const v of Object.values(j.hooks?.env ?? {})) out.add(v);
    if (j.source) for (const v of sourceSecrets(j.source)) out.add(v);
    for (const t of notifyTargets(j.notify)) for (const v of urlSecrets(t.url)) out.add(v);
  }
  if (c.agent.pushgateway) for (const v of urlSecrets(c.agent.pushgateway)) out.add(v);
  return [...out];
}

/** A source section's password and environment values (a config's, or `--source` on the command line). */
export function sourceSecrets(source: object): string[] {
  const s = source as { password?: unknown; env?: Record<string, unknown> };
  return [s.password, ...Object.values(s.env ?? {})].filter((v): v is string => typeof v === "string");
}

// A path segment this long is a token (a Slack or Discord webhook's, a healthchecks.io UUID or ping key); shorter
// ones are words such as "services", "api" or "webhooks", which masking would blank out of every log line.
const TOKEN_SEGMENT = 16;

/**
 * The parts of a webhook or ping URL that carry its secret: the password of
 * its credentials, every query value (Gotify's token, a Teams signature),
 * its whole path and query (an ntfy topic), and each long path segment.
 */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (u.password) out.push(u.password, decoded(u.password));
  for (const v of u.searchParams.values()) out.push(v);
  const rest = `${u.pathname}${u.search}`;
  if (rest !== "/") out.push(rest);
  for (const seg of u.pathname.split("/")) if (seg.length >= TOKEN_SEGMENT) out.push(seg, decoded(seg));
  return out.filter((v) => v !== "");
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
