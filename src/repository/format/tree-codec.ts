import { z } from "zod";
import { IntegrityError } from "../../core/errors.js";
import { isHexId } from "../../core/ids.js";
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

const MTIME = /^-?\d{1,30}$/;
const NODE_TYPES = new Set(["file", "dir", "symlink", "fifo", "socket", "chardev", "blockdev"]);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): boolean => typeof v === "string";
const isNumber = (v: unknown): boolean => typeof v === "number";
const isHex64 = (v: unknown): boolean => typeof v === "string" && isHexId(v);

/** NodeSchema by hand, key by key (keep the two in step); the required keys are in REQUIRED. */
const NODE_CHECKS = new Map<string, (v: unknown) => boolean>(
  Object.entries({
    name: isString,
    nameB64: isString,
    type: (v) => NODE_TYPES.has(v as string),
    mode: (v) => isCount(v) && (v as number) <= 0o7777,
    uid: isCount,
    gid: isCount,
    mtimeNs: (v) => typeof v === "string" && MTIME.test(v),
    size: isCount,
    target: isString,
    targetB64: isString,
    content: (v) => Array.isArray(v) && v.every(isHex64),
    subtree: isHex64,
    links: (v) => isCount(v) && (v as number) > 0,
    dev: isNumber,
    ino: isNumber,
    rdev: isNumber,
  }),
);
const REQUIRED = ["type", "mode", "uid", "gid", "mtimeNs"];

/**
 * The shape TreeSchema accepts, checked by hand: a restore decodes every
 * tree of the snapshot, and zod cost several µs per node. Anything this
 * rejects (a node with a key NodeSchema does not know included: zod strips
 * those) goes through zod, which then words the error.
 */
function looksValid(body: unknown): body is Tree & { version: 1 } {
  if (typeof body !== "object" || body === null) return false;
  const b = body as { version?: unknown; nodes?: unknown };
  return (
    b.version === 1 &&
    Array.isArray(b.nodes) &&
    Object.keys(b).length === 2 &&
    (b.nodes as unknown[]).every(nodeLooksValid)
  );
}

function nodeLooksValid(n: unknown): boolean {
  if (typeof n !== "object" || n === null) return false;
  const o = n as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    const check = NODE_CHECKS.get(k);
    if (!check || !check(v)) return false;
  }
  return REQUIRED.every((k) => k in o);
}

export function decodeTree(bytes: Uint8Array, what: string): Tree {
  const parsed = decodeJson(bytes, "tree", what);
  if (looksValid(parsed)) return { nodes: parsed.nodes };
  const r = TreeSchema.safeParse(parsed);
  if (!r.success) throw new IntegrityError("tree", what, r.error.message);
  return { nodes: r.data.nodes } as Tree;
}
