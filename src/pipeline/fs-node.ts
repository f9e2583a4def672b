import type { BigIntStats } from "node:fs";
import type { NodeType, TreeNode } from "../repository/format/tree.js";
import { encodeName } from "../repository/format/tree.js";

const S_IFMT = 0o170000;
const TYPES: Record<number, NodeType> = {
  0o100000: "file",
  0o040000: "dir",
  0o120000: "symlink",
  0o010000: "fifo",
  0o140000: "socket",
  0o020000: "chardev",
  0o060000: "blockdev",
};

function typeOfMode(mode: number): NodeType {
  return TYPES[mode & S_IFMT] ?? "blockdev";
}

/**
 * The tree node type of an lstat result. From the mode read once as a number:
 * BigIntStats' isFile() and friends each allocate BigInts, and the walk asked
 * several of them per entry (docs/PERFORMANCE.md §Figures behind choices in the code).
 */
export function nodeTypeOf(st: BigIntStats): NodeType {
  return typeOfMode(Number(st.mode));
}

/** Metadata common to every node, from an lstat (bigint, for nanosecond times). */
export function baseNode(name: Buffer, st: BigIntStats): TreeNode {
  const mode = Number(st.mode);
  const type = typeOfMode(mode);
  // Built on the object encodeName returns, not with `{ ...encodeName(name), type, ... }`: V8 takes a
  // slow path for that spread, which showed per entry on many small files (docs/PERFORMANCE.md §Figures behind choices in the code).
  // Keys keep the order of the spread (name first), which the tree's JSON, and so its blob ID, depends on.
  const node = encodeName(name) as TreeNode;
  node.type = type;
  node.mode = mode & 0o7777;
  node.uid = Number(st.uid);
  node.gid = Number(st.gid);
  node.mtimeNs = st.mtimeNs.toString();
  if (type === "file" && st.nlink > 1n) {
    node.links = Number(st.nlink);
    node.dev = Number(st.dev);
    node.ino = Number(st.ino);
  }
  if (type === "chardev" || type === "blockdev") node.rdev = Number(st.rdev);
  return node;
}
