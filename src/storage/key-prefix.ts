import { assertStorageKey } from "./storage-key.js";

/**
 * Maps storage keys to object names under a repository prefix in a bucket or
 * container (`s3://bucket/backups/app1` keeps `config` at `backups/app1/config`),
 * so several repositories can share one bucket without seeing each other.
 */
export class KeyPrefix {
  /** The prefix with a trailing `/`, or "" for a repository at the bucket root. */
  readonly value: string;

  constructor(prefix: string) {
    const trimmed = prefix.replace(/^\/+|\/+$/g, "");
    this.value = trimmed === "" ? "" : `${trimmed}/`;
  }

  /** The object name for a storage key; rejects keys outside the grammar. */
  name(backend: string, key: string): string {
    assertStorageKey(backend, key);
    return this.value + key;
  }

  /** The object name prefix to list for a storage key prefix (which may end inside a component). */
  listPrefix(keyPrefix: string): string {
    return this.value + keyPrefix;
  }

  /** The storage key of a listed object name. */
  key(name: string): string {
    return name.slice(this.value.length);
  }
}
