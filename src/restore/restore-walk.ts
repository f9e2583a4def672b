import { mkdirSync } from "node:fs";
import type { BlobId } from "../core/ids.js";
import { nodeNameBytes, type TreeNode } from "../repository/tree.js";
import { joinDisplay } from "../repository/display-path.js";
import type { IncludeFilter } from "./include-filter.js";
import { checkAborted, recordError, type Entry, type RestoreContext } from "./restore-context.js";
import { restoreFile } from "./restore-file.js";
import { restoreSpecial } from "./restore-special.js";
import { safeName } from "../repository/safe-name.js";
import { guarded } from "./restore-jobs.js";
import { queueFile } from "./restore-window.js";

const SLASH = Buffer.from("/");

/** A directory whose contents are to be restored. */
export interface DirJob {
  tree: BlobId;
  path: Buffer;
  /** Display path, "" for the snapshot root. */
  display: string;
  filter: IncludeFilter | "all";
  /** Trees on the way down: a repeat would be a cycle (only possible with a broken reader). */
  ancestors: ReadonlySet<BlobId>;
}

/**
 * Restores a directory's contents depth-first. Every failure is confined to
 * its entry: it is recorded and the walk moves on. Only abort stops the walk.
 * Directories are only descended into when this run created them, so a path
 * already in the target (possibly a symlink) is never written through.
 */
export async function restoreDir(ctx: RestoreContext, job: DirJob): Promise<void> {
  let nodes: TreeNode[];
  try {
    nodes = (await ctx.reader.loadTree(job.tree)).nodes;
  } catch (err) {
    // Without the root tree there is nothing to restore: that is the caller's error, not an entry's.
    if (job.display === "") throw err;
    recordError(ctx, job.display, err);
    return;
  }
  const seen = new Set<string>();
  for (const node of nodes) {
    checkAborted(ctx.opts.signal);
    const display = joinDisplay(job.display, nodeNameBytes(node));
    let child: Child | undefined;
    try {
      child = childEntry(job, node, seen);
    } catch (err) {
      recordError(ctx, display, err);
      continue;
    }
    if (child === undefined) continue;
    // Plain files wait for their window (restore-window.ts); hardlinked ones go in order, so later links find the first copy.
    if (node.type === "file" && !(node.links !== undefined && node.links > 1)) await queueFile(ctx, child.entry);
    else await guarded(ctx, display, () => restoreNode(ctx, child.entry, job, child.filter));
  }
}

interface Child {
  entry: Entry;
  filter: IncludeFilter | "all";
}

/** Checks a child's name in walk order (a duplicate keeps the first entry); undefined when the include filter skips it. */
function childEntry(job: DirJob, node: TreeNode, seen: Set<string>): Child | undefined {
  const raw = safeName(nodeNameBytes(node), job.display);
  const display = joinDisplay(job.display, raw);
  // latin1 maps bytes 1:1 to code units: an exact byte-wise key.
  const key = raw.toString("latin1");
  if (seen.has(key)) throw new Error("duplicate name in a snapshot directory; the first entry was kept");
  seen.add(key);
  const filter = job.filter === "all" ? "all" : job.filter.child(raw);
  if (filter === undefined || (filter !== "all" && node.type !== "dir")) return undefined;
  return { entry: { path: Buffer.concat([job.path, SLASH, raw]), display, node }, filter };
}

async function restoreNode(
  ctx: RestoreContext,
  e: Entry,
  parent: DirJob,
  filter: IncludeFilter | "all",
): Promise<void> {
  switch (e.node.type) {
    case "dir":
      return restoreSubdir(ctx, e, parent, filter);
    case "file":
      return restoreFile(ctx, e);
    case "symlink":
      if (e.node.target === undefined && e.node.targetB64 === undefined) throw new Error("symlink without a target");
      ctx.symlinks.push(e);
      return;
    default:
      return restoreSpecial(ctx, e);
  }
}

async function restoreSubdir(
  ctx: RestoreContext,
  e: Entry,
  parent: DirJob,
  filter: IncludeFilter | "all",
): Promise<void> {
  const tree = e.node.subtree;
  const ancestors = new Set(parent.ancestors).add(parent.tree);
  if (tree !== undefined && ancestors.has(tree)) throw new Error("directory contains itself (tree cycle)");
  // 0o700 while filling it: the stored mode (maybe read-only) is applied after its contents.
  // Synchronous, as the directory metadata is (restore-metadata.ts): a thread-pool round trip costs more than the mkdir.
  mkdirSync(e.path, 0o700);
  ctx.summary.dirs++;
  ctx.dirs.push(e);
  if (tree === undefined) return;
  await restoreDir(ctx, { tree, path: e.path, display: e.display, filter, ancestors });
}
