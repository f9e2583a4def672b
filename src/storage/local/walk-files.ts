import { readdir } from "node:fs/promises";
import { isErrno } from "./fs-error.js";

export interface WalkedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the walk's root, `/`-separated: the storage key. */
  rel: string;
  name: string;
}

/**
 * Every regular file under `dir` (depth first). A directory that does not
 * exist, or vanishes mid-walk (a concurrent delete), simply has no files.
 * `filter` selects among the entries of `dir` itself only (a key prefix such
 * as `data/a` narrows the first level; everything below it matches).
 */
export async function* walkFiles(dir: string, rel = "", filter?: (name: string) => boolean): AsyncIterable<WalkedFile> {
  for (const entry of await readdirOrEmpty(dir)) {
    if (filter && !filter(entry.name)) continue;
    const path = `${dir}/${entry.name}`;
    const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) yield* walkFiles(path, childRel);
    else if (entry.isFile()) yield { path, rel: childRel, name: entry.name };
  }
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return [];
    throw err;
  }
}
