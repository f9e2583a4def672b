import { randomInt } from "node:crypto";
import type { BlobId } from "../core/ids.js";
import { listTree } from "../restore/list-tree.js";
import type { SnapshotReader } from "../restore/shared/snapshot-reader.js";

/**
 * Up to `n` regular files of a snapshot, picked uniformly at random (partial
 * Fisher-Yates), as snapshot paths for restore's `include`; undefined when
 * the snapshot holds no more than `n` files, so the whole snapshot is restored.
 */
export async function sampleFiles(reader: SnapshotReader, root: BlobId, n: number): Promise<string[] | undefined> {
  const files: string[] = [];
  for await (const e of listTree(reader, root)) if (e.node.type === "file") files.push(e.path);
  if (files.length <= n) return undefined;
  for (let i = 0; i < n; i++) {
    const j = randomInt(i, files.length);
    [files[i], files[j]] = [files[j], files[i]];
  }
  return files.slice(0, n);
}
