import { StorageError } from "../core/errors.js";

// The key grammar from storage.ts. Checking it here is what keeps a bad key
// (`..`, an absolute path) from ever addressing a file outside the root.
const COMPONENT = /^[A-Za-z0-9._-]+$/;

/** Throws unless `key` is a valid storage key; `.tmp-` names are reserved for in-flight writes. */
export function assertStorageKey(backend: string, key: string): void {
  const parts = key.split("/");
  for (const part of parts) {
    const bad = !COMPONENT.test(part) || part === "." || part === ".." || part.startsWith(TEMP_PREFIX);
    if (bad)
      throw new StorageError(backend, key, "invalid storage key (expected `/`-separated [A-Za-z0-9._-] components)");
  }
}

/** Files whose names start with this are in-flight writes, never objects. */
export const TEMP_PREFIX = ".tmp-";
