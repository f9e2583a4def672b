import { IntegrityError } from "../core/errors.js";

/** An error as it crosses between threads: structured cloning keeps neither the class nor the errno fields. */
export interface WireError {
  message: string;
  /** IntegrityError fields: rebuilt as an IntegrityError naming the same object. */
  integrity?: { kind: string; objectKey: string; detail: string };
  /** Errno fields (fs calls), so describeError() names the errno as on the calling thread. */
  code?: string;
  syscall?: string;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof IntegrityError)
    return { message: e.message, integrity: { kind: e.kind, objectKey: e.objectKey, detail: e.detail } };
  const err = e as NodeJS.ErrnoException;
  return { message: err instanceof Error ? err.message : String(e), code: err?.code, syscall: err?.syscall };
}

/** The error again, on the receiving thread. */
export function fromWireError(w: WireError): Error {
  if (w.integrity) return new IntegrityError(w.integrity.kind, w.integrity.objectKey, w.integrity.detail);
  return Object.assign(new Error(w.message), { code: w.code, syscall: w.syscall });
}
