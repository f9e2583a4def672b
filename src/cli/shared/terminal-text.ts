/**
 * Text from a repository, a config or a user (host names, tags, paths, error
 * messages) made safe to print on a terminal: every control character (C0
 * including newline and tab, DEL, and the C1 range a terminal may read as
 * CSI) becomes `\xNN` for each byte of its UTF-8 encoding, the notation `ls`
 * and restore use for names (restore/display-path.ts). A hostile host name
 * can then neither recolour, move the cursor, rewrite the title bar nor
 * forge a line of output. Unlike displayName it leaves `\` and `/` alone, so
 * it can be applied to text that is already escaped (restore's display paths,
 * messages that quote JSON) without escaping the escapes. Human output only:
 * JSON output carries the raw value, which JSON escapes itself.
 */
export function terminalText(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, (c) => hex(Buffer.from(c, "utf8"))) : text;
}

/** Multi-line text (an error message and its hint): each line escaped, the line breaks kept. */
export function terminalLines(text: string): string {
  return text.split("\n").map(terminalText).join("\n");
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this escapes
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_ALL = /[\x00-\x1f\x7f-\x9f]/g;

function hex(bytes: Buffer): string {
  return [...bytes].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
}
