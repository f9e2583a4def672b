import { CairnError, type ConfigProblem } from "../core/errors.js";
import { retentionFromConfig, type RetentionConfig } from "../retention/policy-config.js";
import { joinPath } from "./env-substitute.js";

const KEYS = [
  "keep-last",
  "keep-hourly",
  "keep-daily",
  "keep-weekly",
  "keep-monthly",
  "keep-yearly",
  "keep-within",
  "keep-within-hourly",
  "keep-within-daily",
  "keep-within-weekly",
  "keep-within-monthly",
  "keep-within-yearly",
  "keep-tag",
  "group-by",
];

/**
 * A job's `retention:` block. Both spellings are accepted, restic's
 * `keep-daily` (as `cairn forget` and config/cairn.example.yaml) and YAML-style
 * `keep_daily` (as the rest of the agent config); the same key twice is an error.
 */
export function readRetention(
  block: Record<string, unknown>,
  path: string,
  problems: ConfigProblem[],
): RetentionConfig | undefined {
  const normal: Record<string, unknown> = {};
  const spelt = new Map<string, string>();
  const before = problems.length;
  for (const [key, value] of Object.entries(block)) {
    const k = key.replaceAll("_", "-");
    if (!KEYS.includes(k))
      problems.push({
        path: joinPath(path, key),
        message: `unknown retention key; expected one of ${KEYS.join(", ")} (or with _ for -)`,
      });
    else if (k in normal)
      problems.push({ path: joinPath(path, key), message: `${k} is given twice (once with _ and once with -)` });
    else {
      normal[k] = value;
      spelt.set(k, key);
    }
  }
  if (problems.length > before) return undefined;
  try {
    return retentionFromConfig(normal, path);
  } catch (e) {
    if (!(e instanceof CairnError)) throw e;
    const where = (e as { path?: string }).path ?? path;
    const message = e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message;
    // Report the key as the user spelt it, so its line can be found.
    const key = where.slice(path.length + 1).split(".")[0];
    problems.push({ path: key ? joinPath(path, spelt.get(key) ?? key) : path, message });
    return undefined;
  }
}
