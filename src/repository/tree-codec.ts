import { z } from "zod";
import { IntegrityError } from "../errors.js";
import type { Tree } from "./tree.js";
import { decodeJson, encodeJson } from "./json-body.js";

/**
 * Trees are JSON (docs/FORMAT.md §Trees) with nodes sorted by raw name bytes.
 * Decoding validates shapes only; restore separately refuses unsafe names.
 */
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const NodeSchema = z.object({
  name: z.string().optional(),
  nameB64: z.string().optional(),
  type: z.enum(["file", "dir", "symlink", "fifo", "socket", "chardev", "blockdev"]),
  mode: z.number().int().min(0).max(0o7777),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  mtimeNs: z.string().regex(/^-?\d{1,30}$/),
  size: z.number().int().nonnegative().optional(),
  target: z.string().optional(),
  targetB64: z.string().optional(),
  content: z.array(Hex64).optional(),
  subtree: Hex64.optional(),
  links: z.number().int().positive().optional(),
  dev: z.number().optional(),
  ino: z.number().optional(),
  rdev: z.number().optional(),
});
const TreeSchema = z.object({ version: z.literal(1), nodes: z.array(NodeSchema) });

export function encodeTree(t: Tree): Buffer {
  return encodeJson({ version: 1, nodes: t.nodes });
}

export function decodeTree(bytes: Uint8Array, what: string): Tree {
  const r = TreeSchema.safeParse(decodeJson(bytes, "tree", what));
  if (!r.success) throw new IntegrityError("tree", what, r.error.message);
  return { nodes: r.data.nodes } as Tree;
}
