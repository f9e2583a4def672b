/**
 * Object keys in a repository (docs/FORMAT.md §Layout). Every object except
 * `config` is named by the SHA-256 of its stored bytes, so anyone can verify
 * storage without a key.
 */
export const CONFIG_KEY = "config";
export const KEYS_PREFIX = "keys/";
export const DATA_PREFIX = "data/";
export const META_PREFIX = "meta/";
export const INDEX_PREFIX = "index/";
export const SNAPSHOTS_PREFIX = "snapshots/";
/** Prune marks: packs condemned by the first phase of a prune (FORMAT.md §Prune). */
export const PRUNE_PREFIX = "prune/";

export type PackKind = "data" | "meta";

/** Packs fan out over 256 directories so a local directory never holds millions of entries. */
export function packKey(kind: PackKind, id: string): string {
  return `${kind === "data" ? DATA_PREFIX : META_PREFIX}${id.slice(0, 2)}/${id}`;
}

export function indexKey(id: string): string {
  return `${INDEX_PREFIX}${id}`;
}

export function snapshotKey(id: string): string {
  return `${SNAPSHOTS_PREFIX}${id}`;
}

export function pruneMarkKey(id: string): string {
  return `${PRUNE_PREFIX}${id}`;
}

export function keyFileKey(id: string): string {
  return `${KEYS_PREFIX}${id}`;
}

/** The id (last path component) of an object key. */
export function idOfKey(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

/**
 * The write phase of an object (FORMAT.md §Write order): config and keys, then
 * packs, then index files, then snapshots, which commit. A copy made phase by
 * phase (sync) leaves, when interrupted, a target whose every snapshot is complete.
 */
export function writePhaseOf(key: string): number {
  if (key === CONFIG_KEY || key.startsWith(KEYS_PREFIX)) return 0;
  if (key.startsWith(DATA_PREFIX) || key.startsWith(META_PREFIX)) return 1;
  if (key.startsWith(SNAPSHOTS_PREFIX)) return 3;
  return 2; // index/ and anything else
}

const OBJECT_KEY = /^(?:(?:keys|index|snapshots|prune)\/([0-9a-f]{64})|(?:data|meta)\/([0-9a-f]{2})\/([0-9a-f]{64}))$/;

/**
 * Whether `key` names an object of the format (docs/FORMAT.md §Layout):
 * `config`, or a content name (64 lower-case hex digits) under its prefix,
 * packs in the fan-out directory of their first two digits. Anything else
 * (a `.DS_Store`, a README, a copy under another name) is a stray object:
 * not cairn's, so no command reads, condemns or deletes it, and check
 * reports it.
 */
export function isObjectKey(key: string): boolean {
  if (key === CONFIG_KEY) return true;
  const m = OBJECT_KEY.exec(key);
  return m !== null && (m[1] !== undefined || m[3].startsWith(m[2]));
}

/** The SHA-256 (hex) an object's bytes must have: every object but `config` is named by it. */
export function expectedSha256(key: string): string | undefined {
  const id = idOfKey(key);
  return key !== CONFIG_KEY && /^[0-9a-f]{64}$/.test(id) ? id : undefined;
}
