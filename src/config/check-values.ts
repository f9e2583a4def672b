import type { ConfigProblem } from "../core/errors.js";
import { excludePatternProblem } from "../fs/exclude-pattern.js";
import type { RetentionConfig } from "../retention/policy-config.js";
import { formatCalendarSpan, type CalendarSpan } from "../retention/duration.js";
import { parseRetainFor } from "../storage/location/storage-settings.js";
import type { JobConfig, RepositoryConfig } from "./config-schema.js";
import { boundedDuration, SPAN, spanMs, TIMER, withinBound } from "./duration-bounds.js";
import { joinPath } from "./env-substitute.js";
import type { SourceConfig } from "./source-schema.js";

/**
 * Values the schemas accept by shape that would fail or misbehave later: what
 * `cairn config validate` refuses so a run does not (docs/CONFIG.md
 * §Validation). Each records its problems instead of throwing.
 */

/** A source's exclude patterns (the check ExcludeMatcher makes) and its command timeout (a timer). */
export function checkSource(source: SourceConfig, path: string, problems: ConfigProblem[]): void {
  if ("exclude" in source)
    source.exclude.forEach((p, i) => {
      const problem = excludePatternProblem(p);
      if (problem) problems.push({ path: joinPath(path, `exclude.${i}`), message: problem });
    });
  if ("timeout_seconds" in source && source.timeout_seconds !== undefined)
    withinBound(
      source.timeout_seconds * 1000,
      `${source.timeout_seconds} s`,
      joinPath(path, "timeout_seconds"),
      TIMER,
      problems,
    );
}

/** `retain_for` moves every object's lock date: bounded like the other spans; `timeout` is a timer. */
export function checkRepository(r: RepositoryConfig, path: string, problems: ConfigProblem[]): void {
  if (r.retain_for !== undefined)
    withinBound(parseRetainFor(r.retain_for), r.retain_for, joinPath(path, "retain_for"), SPAN, problems);
  if (r.timeout === undefined) return;
  const before = problems.length;
  if (boundedDuration(r.timeout, joinPath(path, "timeout"), TIMER, problems) === 0 && problems.length === before)
    problems.push({ path: joinPath(path, "timeout"), message: "expected a storage timeout longer than 0, e.g. 30s" });
}

/**
 * `retry.backoff` in ms. The wait doubles with each retry, so its longest,
 * before the last of `retry.attempts`, is what must fit in a timer.
 */
export function retryBackoff(retry: JobConfig["retry"], path: string, problems: ConfigProblem[]): number {
  const ms = boundedDuration(retry.backoff, `${path}.backoff`, TIMER, problems);
  const longest = ms * 2 ** Math.max(0, retry.attempts - 1);
  if (longest > TIMER.ms)
    problems.push({
      path: `${path}.backoff`,
      message: `${retry.backoff} doubled before each of ${retry.attempts} retries waits ${Math.round(longest / 86_400_000)}d before the last, longer than ${TIMER.shown}, ${TIMER.why}; lower retry.attempts or retry.backoff`,
    });
  return ms;
}

const SPANS = [
  ["within", "keep-within"],
  ["withinHourly", "keep-within-hourly"],
  ["withinDaily", "keep-within-daily"],
  ["withinWeekly", "keep-within-weekly"],
  ["withinMonthly", "keep-within-monthly"],
  ["withinYearly", "keep-within-yearly"],
] as const;

/** A keep-within span past the SPAN bound would step the newest snapshot's date out of what a Date holds. */
export function checkRetentionSpans(r: RetentionConfig, path: string, problems: ConfigProblem[]): void {
  for (const [field, key] of SPANS) {
    const span: CalendarSpan | undefined = r.policy[field];
    if (span) withinBound(spanMs(span), `${key} ${formatCalendarSpan(span)}`, path, SPAN, problems);
  }
}
