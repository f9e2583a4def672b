import type { TreeNode } from "../../repository/format/tree.js";

/** An entry on its way to disk: where it goes (raw bytes), how to name it to people, what it is. */
export interface Entry {
  path: Buffer;
  display: string;
  node: TreeNode;
}
