import type { ConfigProblem } from "../core/errors.js";

/**
 * `${VAR}` and `${VAR:-default}` in config string values, shell-like: the
 * default applies when VAR is unset or empty; `$$` is a literal `$`. A missing
 * variable is a problem naming it and the key, never a silent empty string
 * (an empty agent key or bucket name would fail much later and less clearly).
 */
const REF = /\$\$|\$\{([^}]*)\}|\$\{/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Told each value taken from the environment and the dotted path of the key it went into. */
export type OnSubstitution = (path: string, value: string) => void;

export function substituteString(
  text: string,
  env: NodeJS.ProcessEnv,
  path: string,
  problems: ConfigProblem[],
  onValue?: OnSubstitution,
): string {
  return text.replace(REF, (whole, inner: string | undefined) => {
    if (whole === "$$") return "$";
    const m = inner === undefined ? null : INNER.exec(inner);
    if (!m) {
      problems.push({
        path,
        message: `malformed variable reference ${JSON.stringify(whole)}: expected \${NAME} or \${NAME:-default} (write $$ for a literal $)`,
      });
      return whole;
    }
    const value = env[m[1]];
    if (value !== undefined && (value !== "" || m[2] === undefined)) {
      onValue?.(path, value);
      return value;
    }
    if (m[2] !== undefined) return m[2];
    problems.push({
      path,
      message: `environment variable ${m[1]} is not set (write \${${m[1]}:-default} for a default)`,
    });
    return "";
  });
}

/** Substitute in every string value (not keys) of a parsed YAML tree, recording problems by dotted path. */
export function substituteTree(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: string,
  problems: ConfigProblem[],
  onValue?: OnSubstitution,
): unknown {
  if (typeof value === "string") return substituteString(value, env, path, problems, onValue);
  if (Array.isArray(value)) return value.map((v, i) => substituteTree(v, env, joinPath(path, i), problems, onValue));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteTree(v, env, joinPath(path, k), problems, onValue)]),
    );
  }
  return value;
}

export function joinPath(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}
