import type { BlobId } from "../core/ids.js";
import { nodeNameBytes, type TreeNode } from "../repository/format/tree.js";
import { joinDisplay } from "../repository/format/display-path.js";
import { lookupPath } from "./path-lookup.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";

export interface ListedEntry {
  /** "/a/b"; non-UTF-8 bytes, control characters, `\` and `/` inside a name shown as `\xNN`. */
  path: string;
  node: TreeNode;
}

/**
 * Yields every entry of a snapshot depth-first (a directory before its
 * contents), in the order the trees store them. With `prefix`, lists only the
 * entry at that snapshot path and, if it is a directory, everything below it.
 * Names are shown as stored, not validated: listing a hostile tree is how one
 * inspects it.
 */
export async function* listTree(
  reader: SnapshotReader,
  rootTree: BlobId,
  prefix?: string,
): AsyncGenerator<ListedEntry> {
  const start = await lookupPath(reader, rootTree, prefix ?? "/");
  if (start.node !== undefined) yield { path: start.path, node: start.node };
  if (start.subtree !== undefined) yield* listDir(reader, start.subtree, start.path);
}

interface Frame {
  id: BlobId;
  path: string;
  nodes: readonly TreeNode[];
  next: number;
}

/**
 * Depth-first with an explicit stack, not recursion: a tree thousands of
 * levels deep (crafted, or a real one) costs one frame per level on the heap
 * instead of nested generators that run out of call stack.
 */
async function* listDir(reader: SnapshotReader, root: BlobId, rootPath: string): AsyncGenerator<ListedEntry> {
  // Content addressing makes cycles impossible in a real repository; the guard
  // keeps a broken reader from turning ls into an endless loop.
  const open = new Set<BlobId>([root]);
  const stack: Frame[] = [{ id: root, path: rootPath, nodes: (await reader.loadTree(root)).nodes, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.nodes.length) {
      open.delete(top.id);
      stack.pop();
      continue;
    }
    const node = top.nodes[top.next++];
    const path = joinDisplay(top.path, nodeNameBytes(node));
    yield { path, node };
    if (node.type === "dir" && node.subtree !== undefined && !open.has(node.subtree)) {
      open.add(node.subtree);
      stack.push({ id: node.subtree, path, nodes: (await reader.loadTree(node.subtree)).nodes, next: 0 });
    }
  }
}
