import type { BlobId } from "../../core/ids.js";

/**
 * A directory listing, stored as a Tree blob (encrypted to the recipients).
 * See docs/FORMAT.md §Trees. Names are raw bytes on disk: a name that is valid
 * UTF-8 is stored in `name`, any other in `nameB64` (base64 of the bytes), so
 * non-UTF-8 names restore byte-identical.
 */
export type NodeType = "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev";

export interface TreeNode {
  name?: string;
  nameB64?: string;
  type: NodeType;
  /** Permission bits and setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string (exceeds 2^53). */
  mtimeNs: string;
  /** Regular files: length in bytes. */
  size?: number;
  /** Symlinks: the target, like names (`target` if UTF-8, else `targetB64`). */
  target?: string;
  targetB64?: string;
  /** Regular files: the data blobs, in order. */
  content?: BlobId[];
  /** Directories: the Tree blob of the subdirectory. */
  subtree?: BlobId;
  /** Hardlink identity: set when nlink > 1; files sharing (dev, ino) in one snapshot are links to one inode. */
  links?: number;
  dev?: number;
  ino?: number;
  /** Device files: the device number (rdev). */
  rdev?: number;
}

export interface Tree {
  nodes: TreeNode[];
}

/** The raw bytes of a node's name. */
export function nodeNameBytes(n: TreeNode): Buffer {
  if (n.nameB64 !== undefined) return Buffer.from(n.nameB64, "base64");
  return Buffer.from(n.name ?? "", "utf8");
}

/** Store bytes as `name` when they round-trip through UTF-8, else as `nameB64`. */
export function encodeName(raw: Buffer): { name?: string; nameB64?: string } {
  const s = raw.toString("utf8");
  return Buffer.from(s, "utf8").equals(raw) ? { name: s } : { nameB64: raw.toString("base64") };
}

export function nodeTargetBytes(n: TreeNode): Buffer | undefined {
  if (n.targetB64 !== undefined) return Buffer.from(n.targetB64, "base64");
  if (n.target !== undefined) return Buffer.from(n.target, "utf8");
  return undefined;
}
