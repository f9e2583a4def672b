import { IntegrityError } from "../../core/errors.js";

/** Largest JSON metadata body we will parse; bounds memory on hostile input. */
export const MAX_JSON_BODY = 256 * 1024 * 1024;

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** Parse a JSON metadata body, turning any failure into an IntegrityError naming the object. */
export function decodeJson(body: Uint8Array, kind: string, what: string): unknown {
  if (body.byteLength > MAX_JSON_BODY)
    throw new IntegrityError(kind, what, `body of ${body.byteLength} bytes exceeds the ${MAX_JSON_BODY}-byte limit`);
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (e) {
    throw new IntegrityError(kind, what, "not valid JSON", { cause: e });
  }
}

export function expectObject(v: unknown, kind: string, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new IntegrityError(kind, what, "expected a JSON object");
  return v as Record<string, unknown>;
}
