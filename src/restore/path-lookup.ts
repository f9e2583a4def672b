import { CairnError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import { nodeNameBytes, type TreeNode } from "../repository/format/tree.js";
import { displayName } from "../repository/format/display-path.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";

/** Where a snapshot path leads: the node (undefined for "/") and, for directories, its tree. */
export interface LookupResult {
  /** Display path, "/a/b" ("" for the root). */
  path: string;
  node?: TreeNode;
  subtree?: BlobId;
}

/**
 * Resolves a snapshot path ("/home/x" or "home/x") component by component
 * through the trees. Throws CairnError "no such file in snapshot: PATH" when a
 * component is missing or a parent is not a directory.
 */
export async function lookupPath(reader: SnapshotReader, root: BlobId, path: string): Promise<LookupResult> {
  let result: LookupResult = { path: "", subtree: root };
  for (const component of splitSnapshotPath(path)) {
    if (result.subtree === undefined) throw noSuchFile(path, `${result.path} is not a directory`);
    const tree = await reader.loadTree(result.subtree);
    const node = tree.nodes.find((n) => nameMatches(nodeNameBytes(n), component));
    if (node === undefined) throw noSuchFile(path);
    const display = `${result.path}/${displayName(nodeNameBytes(node))}`;
    result = { path: display, node, subtree: node.type === "dir" ? node.subtree : undefined };
  }
  return result;
}

/** "/a//b/" -> ["a", "b"]; "" and "/" -> []. "." components are dropped. */
export function splitSnapshotPath(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * A user-typed component matches a stored name when it is the name's UTF-8
 * text, or its display form (so a path copied from `ls`, with `\xNN`
 * escapes for non-UTF-8 bytes, finds the entry).
 */
export function nameMatches(raw: Buffer, component: string): boolean {
  return raw.equals(Buffer.from(component, "utf8")) || displayName(raw) === component;
}

function noSuchFile(path: string, why?: string): CairnError {
  return new CairnError("E_NO_SUCH_PATH", `no such file in snapshot: ${path}${why ? ` (${why})` : ""}`, 1, {
    hint: "run `cairn ls SNAPSHOT` to see the stored paths",
  });
}
