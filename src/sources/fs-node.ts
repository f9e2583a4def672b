import type { BigIntStats } from "node:fs";
import type { NodeType, TreeNode } from "../repository/tree.js";
import { encodeName } from "../repository/tree.js";

/** The tree node type of an lstat result. */
export function nodeTypeOf(st: BigIntStats): NodeType {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "chardev";
  return "blockdev";
}

/** Metadata common to every node, from an lstat (bigint, for nanosecond times). */
export function baseNode(name: Buffer, st: BigIntStats): TreeNode {
  const type = nodeTypeOf(st);
  const node: TreeNode = {
    ...encodeName(name),
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtimeNs: st.mtimeNs.toString(),
  };
  if (type === "file" && st.nlink > 1n) {
    node.links = Number(st.nlink);
    node.dev = Number(st.dev);
    node.ino = Number(st.ino);
  }
  if (type === "chardev" || type === "blockdev") node.rdev = Number(st.rdev);
  return node;
}
