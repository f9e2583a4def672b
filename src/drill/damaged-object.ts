import { IntegrityError } from "../core/errors.js";

/** A repository object key in a message: `data/ab/<64 hex>`, `meta/…`, `index/<64 hex>`, `snapshots/<64 hex>`. */
const OBJECT_KEY = /\b(?:(?:data|meta)\/[0-9a-f]{2}\/[0-9a-f]{64}|(?:index|snapshots)\/[0-9a-f]{64})\b/;

/**
 * The damaged object an error names, if any. A blob that fails its check is
 * reported as "<blob id> in <pack key>" and a pack that fails authentication
 * by its key; the pack key is what `cairn check` and the operator act on.
 */
export function damagedObject(e: unknown): string | undefined {
  const text = e instanceof IntegrityError ? `${e.objectKey} ${e.message}` : e instanceof Error ? e.message : String(e);
  return OBJECT_KEY.exec(text)?.[0] ?? (e instanceof IntegrityError ? e.objectKey : undefined);
}

/** The same, from a restore's per-entry error message (restore keeps the message, not the error). */
export function damagedObjectIn(message: string): string | undefined {
  return OBJECT_KEY.exec(message)?.[0];
}
