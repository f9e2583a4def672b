import { z } from "zod";
import { IntegrityError } from "../../core/errors.js";
import type { BlobId } from "../../core/ids.js";
import { decodeJson, encodeJson } from "./json-body.js";

/**
 * The skeleton of a directory (docs/FORMAT.md §Skeletons): only the blob IDs its
 * tree references — its own tree, the skeletons of its subdirectories, the data
 * blobs of its files. Stored in meta packs, readable with the agent key alone,
 * so retention, prune and check can find every live blob without the identity
 * and without learning any name. Unchanged directories give the same skeleton
 * blob, so a snapshot costs metadata only for what changed.
 */
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const SkeletonSchema = z.object({ tree: Hex64, children: z.array(Hex64), data: z.array(Hex64) });
export interface Skeleton {
  tree: BlobId;
  children: BlobId[];
  data: BlobId[];
}

/** Canonical form: data IDs sorted and unique, so equal directories give equal bytes. */
export function encodeSkeleton(s: Skeleton): Buffer {
  const data = [...new Set(s.data)].sort();
  return encodeJson({ tree: s.tree, children: s.children, data });
}

export function decodeSkeleton(bytes: Uint8Array, what: string): Skeleton {
  const r = SkeletonSchema.safeParse(decodeJson(bytes, "skeleton", what));
  if (!r.success) throw new IntegrityError("skeleton", what, r.error.message);
  return r.data as Skeleton;
}
