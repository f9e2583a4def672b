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
  if (start.subtree !== undefined) yield* listDir(reader, start.subtree, start.path, new Set());
}

async function* listDir(
  reader: SnapshotReader,
  id: BlobId,
  path: string,
  ancestors: Set<BlobId>,
): AsyncGenerator<ListedEntry> {
  // Content addressing makes cycles impossible in a real repository; the guard
  // keeps a broken reader from turning ls into an endless loop.
  if (ancestors.has(id)) return;
  const tree = await reader.loadTree(id);
  const inner = new Set(ancestors).add(id);
  for (const node of tree.nodes) {
    const childPath = joinDisplay(path, nodeNameBytes(node));
    yield { path: childPath, node };
    if (node.type === "dir" && node.subtree !== undefined) yield* listDir(reader, node.subtree, childPath, inner);
  }
}
