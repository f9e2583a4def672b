import type { Storage } from "../storage/storage.js";
import {
  CONFIG_KEY,
  INDEX_PREFIX,
  isObjectKey,
  KEYS_PREFIX,
  packKey,
  SNAPSHOTS_PREFIX,
} from "../repository/format/layout.js";
import type { PackEntry } from "../repository/blob-index.js";

/**
 * A store with Object Lock / immutability whose retention can be extended
 * (S3 PutObjectRetention, Azure immutability policy). Backends that support it
 * declare `capabilities.objectLock` and implement this method.
 */
export interface RetentionExtending extends Storage {
  extendRetention(key: string, until: Date): Promise<void>;
}

export function canExtendRetention(s: Storage): s is RetentionExtending {
  return s.capabilities.objectLock && typeof (s as Partial<RetentionExtending>).extendRetention === "function";
}

/**
 * Keep a locked repository protected for as long as its policy keeps
 * snapshots: every object the kept snapshots need (their records, the live
 * packs, the index, key files, config) gets its retention moved to
 * `until`. Condemned packs are left to expire. Returns how many objects.
 */
export async function extendLiveRetention(
  s: RetentionExtending,
  livePacks: Iterable<PackEntry>,
  until: Date,
  signal?: AbortSignal,
): Promise<number> {
  let n = 0;
  for (const p of livePacks) {
    await s.extendRetention(packKey(p.kind, p.id), until);
    n++;
  }
  for (const prefix of [SNAPSHOTS_PREFIX, INDEX_PREFIX, KEYS_PREFIX]) {
    for await (const o of s.list(prefix, signal)) {
      if (!isObjectKey(o.key)) continue; // not cairn's (FORMAT.md §Layout): left alone
      await s.extendRetention(o.key, until);
      n++;
    }
  }
  await s.extendRetention(CONFIG_KEY, until);
  return n + 1;
}
