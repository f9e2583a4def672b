import { once } from "node:events";
import { CairnError, IntegrityError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import { lookupPath } from "./path-lookup.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";

/**
 * Writes the content of one regular file in a snapshot to `out`, blob by blob,
 * waiting for `drain` when `out` is full so memory stays at about one blob.
 * Returns the number of bytes written. Does not end `out`.
 * Throws CairnError for a missing path or a non-file, IntegrityError for a
 * damaged blob or when the content length disagrees with the recorded size.
 */
export async function dumpFile(
  reader: SnapshotReader,
  rootTree: BlobId,
  path: string,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { node, path: shown } = await lookupPath(reader, rootTree, path);
  if (node === undefined || node.type === "dir") throw new CairnError("E_IS_DIRECTORY", `is a directory: ${path}`);
  if (node.type !== "file") throw new CairnError("E_NOT_A_FILE", `not a regular file (${node.type}): ${path}`);
  let written = 0;
  for (const id of node.content ?? []) {
    const blob = await reader.readBlob(id);
    written += blob.length;
    if (!out.write(blob)) await once(out, "drain");
  }
  if (written !== (node.size ?? 0)) {
    throw new IntegrityError("file", shown, `content is ${written} bytes but the tree records ${node.size ?? 0}`);
  }
  return written;
}
