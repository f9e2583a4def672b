import { ObjectLockedError } from "../core/errors.js";
import { TaskPool } from "../core/task-pool.js";
import type { Storage } from "../storage/storage.js";
import type { AgentKey } from "../crypto/agent-key.js";
import { openIndex, sealIndex, type IndexPack } from "../repository/format/index-file.js";
import { indexKey } from "../repository/format/layout.js";
import { sha256Hex } from "../repository/format/sha256.js";

/**
 * Deletions in flight at once: a delete is a round trip on S3/Azure and a
 * directory fsync on local storage, so one at a time made phase 2 slow
 * (docs/PERFORMANCE.md §Retention and prune); a ConcurrencyLimitedStorage
 * below still caps the total.
 */
const DELETE_CONCURRENCY = 16;

/** Packs per rewritten index file: about 2 MiB of JSON at 16 blobs a pack, so no file is big to read or to seal. */
const PACKS_PER_INDEX = 1024;

/**
 * Write new index files listing every pack of the old files except those in
 * `drop` (condemned now or by an earlier mark), read from the
 * old index files one at a time (memory stays bounded by one old file plus one
 * batch). Returns the keys written. The old files are superseded only by the
 * prune mark written after this (FORMAT.md §Prune, mark phase).
 */
export async function rewriteIndex(
  storage: Storage,
  agent: AgentKey,
  oldFiles: readonly string[],
  drop: ReadonlySet<string>,
): Promise<string[]> {
  const written: string[] = [];
  const done = new Set<string>();
  let batch: IndexPack[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    written.push(await writeIndexFile(storage, agent, batch));
    batch = [];
  };
  for (const key of oldFiles) {
    for (const p of openIndex(agent, await storage.get(key), key).packs) {
      // A pack that looked missing is kept too: check goes on reporting it (prune acts on evidence, never on absence).
      if (drop.has(p.id) || done.has(p.id)) continue;
      done.add(p.id);
      batch.push(p);
      if (batch.length >= PACKS_PER_INDEX) await flush();
    }
  }
  await flush();
  return written;
}

export async function writeIndexFile(storage: Storage, agent: AgentKey, packs: IndexPack[]): Promise<string> {
  const file = sealIndex(agent, packs);
  const key = indexKey(sha256Hex(file));
  await storage.put(key, file);
  return key;
}

/** Delete, treating "locked by object lock" as "not yet": returns false then, so the caller records the key for a later prune. */
export async function deleteUnlessLocked(storage: Storage, key: string): Promise<boolean> {
  try {
    await storage.delete(key);
    return true;
  } catch (e) {
    if (e instanceof ObjectLockedError) return false;
    throw e;
  }
}

/**
 * Delete every key, a bounded number at a time; returns the keys the store
 * refused because of a retention period (the caller records them for a later
 * prune). Any other failure stops further deletions and is thrown once those
 * in flight end.
 */
export async function deleteAllUnlessLocked(storage: Storage, keys: readonly string[]): Promise<Set<string>> {
  const refused = new Set<string>();
  const pool = new TaskPool(DELETE_CONCURRENCY);
  try {
    for (const key of keys) {
      await pool.add(async () => {
        if (!(await deleteUnlessLocked(storage, key))) refused.add(key);
      });
    }
  } finally {
    await pool.drain(); // waits for the deletions in flight, then rethrows the first failure
  }
  return refused;
}
