import type { ByteRange } from "./storage.js";

/** Throws RangeError unless offset and length are non-negative safe integers. */
export function assertRange({ offset, length }: ByteRange): void {
  const ok = Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0;
  if (!ok) throw new RangeError(`invalid byte range offset=${offset} length=${length}`);
}

/**
 * An HTTP Range header for a non-empty range. Always `bytes=first-last`, never
 * a suffix range (`bytes=-N`), which s3rver answers with the wrong bytes.
 */
export function rangeHeader({ offset, length }: ByteRange): string {
  return `bytes=${offset}-${offset + length - 1}`;
}
