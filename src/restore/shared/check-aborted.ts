import { AbortedError } from "../../core/errors.js";

/** Every loop of a restore calls this between entries (and blobs), so an abort stops it at the next one. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError("restore aborted");
}
