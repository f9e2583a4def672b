import { UnsafePathError } from "../../core/errors.js";
import { displayName } from "./display-path.js";

/** Linux NAME_MAX: longer names cannot exist on the target, so they are hostile or corrupt. */
const NAME_MAX = 255;

/**
 * Checks that a stored name is exactly one path component (invariant 10 of
 * docs/RELIABILITY.md): non-empty, no `/`, no NUL, not `.` or `..`, at most 255
 * bytes. Returns the name; throws UnsafePathError naming the entry otherwise.
 * `parent` is the display path of the containing directory, used in the error.
 * The rule is the format's (docs/FORMAT.md §Trees), so it lives here: restore
 * applies it before writing, check --read-data before a restore needs to.
 */
export function safeName(raw: Buffer, parent = ""): Buffer {
  const problem = nameProblem(raw);
  if (problem !== undefined) throw new UnsafePathError(`${parent}/${displayName(raw)}`, problem);
  return raw;
}

/** Why restore refuses a stored name, or undefined for a safe one (see safeName). */
export function nameProblem(raw: Buffer): string | undefined {
  if (raw.length === 0) return "empty name in snapshot tree";
  if (raw.length > NAME_MAX) return `name is ${raw.length} bytes, longer than ${NAME_MAX}`;
  if (raw.includes(0x2f)) return "name contains '/'";
  if (raw.includes(0x00)) return "name contains a NUL byte";
  const s = raw.toString("latin1");
  if (s === "." || s === "..") return `name '${s}' is not allowed`;
  return undefined;
}
