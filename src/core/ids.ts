/**
 * Branded ID types: a ChunkId cannot be passed where a PackId is expected.
 * All IDs are 32 bytes, written as 64 lowercase hex characters.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Keyed hash (HMAC-SHA256 with the agent's id key) of a blob's plaintext. */
export type BlobId = Brand<string, "BlobId">;
/** SHA-256 of a stored object's bytes (packs, index files, snapshots, keys). */
export type ObjectId = Brand<string, "ObjectId">;
export type PackId = ObjectId;
export type SnapshotId = ObjectId;

const HEX64 = /^[0-9a-f]{64}$/;

export function isHexId(s: string): boolean {
  return HEX64.test(s);
}

export function asBlobId(s: string): BlobId {
  if (!HEX64.test(s)) throw new TypeError(`not a blob id: ${JSON.stringify(s)}`);
  return s as BlobId;
}

/** The ID of a 32-byte digest (a keyed hash, or an ID kept as bytes in the index); its hex is always well-formed. */
export function blobIdOfDigest(digest: Uint8Array): BlobId {
  if (digest.length !== 32) throw new TypeError(`not a 32-byte digest: ${digest.length} bytes`);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString("hex") as BlobId;
}

export function asObjectId(s: string): ObjectId {
  if (!HEX64.test(s)) throw new TypeError(`not an object id: ${JSON.stringify(s)}`);
  return s as ObjectId;
}

/** Kinds of blob stored inside packs. The tag byte is part of the keyed hash (domain separation). */
export enum BlobType {
  Data = 0,
  Tree = 1,
  Skeleton = 2,
}

export function blobTypeName(t: BlobType): string {
  return BlobType[t]?.toLowerCase() ?? `type${t}`;
}
