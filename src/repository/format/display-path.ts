/**
 * Turns raw name bytes into a printable, unambiguous string for listings,
 * warnings and errors. Valid UTF-8 is kept; invalid bytes, control characters
 * (a newline in a name must not split a listing line), `\` and `/` (a crafted
 * name containing `/` must not look like two components) become `\xNN`.
 * The mapping is injective, so two different names never display alike.
 */
export function displayName(raw: Buffer): string {
  const text = raw.toString("utf8");
  if (Buffer.from(text, "utf8").equals(raw) && !NEEDS_ESCAPE.test(text)) return text;
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const len = utf8SequenceLength(raw, i);
    const piece = len > 0 ? raw.subarray(i, i + len).toString("utf8") : "";
    out += len > 0 && !NEEDS_ESCAPE.test(piece) ? piece : hex(raw[i]);
    i += len > 0 ? len : 1;
  }
  return out;
}

/** Joins a display parent path ("" for the root) and a raw name into "/a/b". */
export function joinDisplay(parent: string, raw: Buffer): string {
  return `${parent}/${displayName(raw)}`;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what we escape
const NEEDS_ESCAPE = /[\x00-\x1f\x7f\\/]/;

function hex(b: number): string {
  return `\\x${b.toString(16).padStart(2, "0")}`;
}

/** Length of the well-formed UTF-8 sequence starting at i, or 0 if there is none. */
function utf8SequenceLength(raw: Buffer, i: number): number {
  const b = raw[i];
  const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (len <= 1 || i + len > raw.length) return len === 1 ? 1 : 0;
  const piece = raw.subarray(i, i + len);
  // Round-tripping rejects overlongs, surrogates and bad continuation bytes.
  return Buffer.from(piece.toString("utf8"), "utf8").equals(piece) ? len : 0;
}
